package frames

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"

	"workbench/internal/atomicfile"
)

// ErrNotFound is wrapped by Store errors about a series the store does not
// have.
var ErrNotFound = errors.New("series not found")

// Store is a folder of parquet OHLCV files, one per market and period, named
// as piker's nativedb names them: `<fqme>.ohlcv<N>s.parquet`, e.g.
// `btcusdt.spot.binance.ohlcv60s.parquet`. Every write replaces its file
// atomically, so a crash leaves the old series or the new one. A Store is
// safe for concurrent use within one process; Append is a read-modify-write
// and is not guarded against a second process appending to the same series.
type Store struct {
	dir string
	mu  sync.Mutex // serialises read-modify-write of Append against writers
}

// SeriesInfo describes one stored series, from its file name and parquet
// footer (List does not read the bars).
type SeriesInfo struct {
	FQME   string `json:"fqme"`
	Period int64  `json:"period"` // seconds
	Rows   int64  `json:"rows"`
	First  int64  `json:"first"` // earliest bar time, epoch seconds
	Last   int64  `json:"last"`  // latest bar time, epoch seconds
	Bytes  int64  `json:"bytes"` // file size
	Path   string `json:"path"`
	// Problem says why the file could not be summarised (corrupt, not OHLCV);
	// empty for a good file. List reports such files instead of failing.
	Problem string `json:"problem,omitempty"`
}

// OpenStore opens the store in dir. The folder need not exist yet (the first
// write creates it), but a path that exists and is not a folder is an error.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("store: no folder given")
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("store %s: is a file, not a folder", dir)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

// Path is the file that holds (fqme, period), whether or not it exists.
func (s *Store) Path(fqme string, period int64) string {
	return filepath.Join(s.dir, fqme+".ohlcv"+strconv.FormatInt(period, 10)+"s.parquet")
}

func checkKey(fqme string, period int64) error {
	switch {
	case fqme == "":
		return errors.New("empty market name (fqme)")
	case strings.ContainsAny(fqme, "/\\\x00") || fqme[0] == '.' || strings.Contains(fqme, ".."):
		return fmt.Errorf("market name %q cannot be a file name (no slashes, leading dot or '..')", fqme)
	case period < 1:
		return fmt.Errorf("period %d: want at least one second", period)
	}
	return nil
}

func key(fqme string, period int64) string {
	if period < 1 {
		return fqme
	}
	return fqme + " " + FormatPeriod(period)
}

// Read loads the whole series.
func (s *Store) Read(fqme string, period int64) (*OHLCV, error) {
	return s.ReadRange(fqme, period, math.MinInt64, math.MaxInt64)
}

// ReadRange loads the bars with from ≤ time < to, decoding only the row
// groups whose time statistics overlap [from, to).
func (s *Store) ReadRange(fqme string, period, from, to int64) (*OHLCV, error) {
	if err := checkKey(fqme, period); err != nil {
		return nil, fmt.Errorf("store read %s: %w", key(fqme, period), err)
	}
	path := s.Path(fqme, period)
	f, err := readParquetFile(path, from, to)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store %s: %s %w (no %s)", s.dir, key(fqme, period), ErrNotFound, filepath.Base(path))
	}
	if err != nil {
		return nil, fmt.Errorf("store read %s: %w", key(fqme, period), err)
	}
	f.Period = period
	if from != math.MinInt64 || to != math.MaxInt64 {
		if f.Len() < cap(f.Time)/2 {
			// A short range is a view into whole decoded row groups; copy it so
			// the caller does not pin them.
			f = f.Clone()
		}
	}
	return f, nil
}

// Write replaces the series with f, under f's period (detected from its
// times when f.Period is 0). Times must be strictly ascending: use Append to
// merge unordered or overlapping bars.
func (s *Store) Write(fqme string, f *OHLCV) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(fqme, f)
}

func (s *Store) write(fqme string, f *OHLCV) error {
	if f == nil {
		f = &OHLCV{}
	}
	period := f.Period
	if period == 0 {
		period = DetectPeriod(f.Time)
	}
	if err := checkKey(fqme, period); err != nil {
		return fmt.Errorf("store write %s: %w", key(fqme, period), err)
	}
	if err := f.checkColumns(); err != nil {
		return fmt.Errorf("store write %s: %w", key(fqme, period), err)
	}
	for i := 1; i < len(f.Time); i++ {
		if f.Time[i] <= f.Time[i-1] {
			return fmt.Errorf("store write %s: row %d: time %d is not after %d (times must be strictly ascending; Append merges)",
				key(fqme, period), i+1, f.Time[i], f.Time[i-1])
		}
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("store %s: %w", s.dir, err)
	}
	g := *f
	g.Period = period
	if err := WriteParquetFile(s.Path(fqme, period), &g); err != nil {
		return fmt.Errorf("store write %s: %w", key(fqme, period), err)
	}
	return nil
}

// Append merges f into the stored series (creating it if missing) with
// Merge's default policy: identical duplicates are dropped, conflicting bars
// are reported and the newer one wins. The file is replaced atomically.
func (s *Store) Append(fqme string, f *OHLCV) (MergeReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == nil {
		f = &OHLCV{}
	}
	period := f.Period
	if period == 0 {
		period = DetectPeriod(f.Time)
	}
	if err := checkKey(fqme, period); err != nil {
		return MergeReport{}, fmt.Errorf("store append %s: %w", key(fqme, period), err)
	}
	old, err := s.Read(fqme, period)
	if errors.Is(err, ErrNotFound) {
		old, err = &OHLCV{Period: period}, nil
	}
	if err != nil {
		return MergeReport{}, err
	}
	g := *f
	g.Period = period
	merged, rep, err := old.Merge(&g, MergeOptions{})
	if err != nil {
		return rep, fmt.Errorf("store append %s: %w", key(fqme, period), err)
	}
	return rep, s.write(fqme, merged)
}

// Delete removes the series.
func (s *Store) Delete(fqme string, period int64) error {
	if err := checkKey(fqme, period); err != nil {
		return fmt.Errorf("store delete %s: %w", key(fqme, period), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.Path(fqme, period))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store %s: %s %w", s.dir, key(fqme, period), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store delete %s: %w", key(fqme, period), err)
	}
	return nil
}

// List describes every series in the store, sorted by market then period.
// Files that do not follow the naming scheme and atomic-write leftovers are
// skipped; a file that is named right but unreadable is listed with its
// Problem. A store folder that does not exist yet lists as empty.
func (s *Store) List() ([]SeriesInfo, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", s.dir, err)
	}
	var out []SeriesInfo
	for _, ent := range ents {
		name := ent.Name()
		if ent.IsDir() || atomicfile.IsTemp(name) {
			continue
		}
		fqme, period, ok := ParseSeriesFileName(name)
		if !ok {
			continue
		}
		info := SeriesInfo{FQME: fqme, Period: period, Path: filepath.Join(s.dir, name)}
		if st, err := os.Stat(info.Path); err == nil {
			info.Bytes = st.Size()
		}
		if err := summarise(&info); err != nil {
			info.Problem = err.Error()
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].FQME != out[j].FQME {
			return out[i].FQME < out[j].FQME
		}
		return out[i].Period < out[j].Period
	})
	return out, nil
}

// ParseSeriesFileName splits `<fqme>.ohlcv<N>s.parquet` into fqme and N.
func ParseSeriesFileName(name string) (fqme string, period int64, ok bool) {
	stem, found := strings.CutSuffix(name, ".parquet")
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(stem, '.')
	if i <= 0 {
		return "", 0, false
	}
	desc := stem[i+1:]
	n, found := strings.CutPrefix(desc, "ohlcv")
	if !found {
		return "", 0, false
	}
	n, found = strings.CutSuffix(n, "s")
	if !found {
		return "", 0, false
	}
	p, err := strconv.ParseInt(n, 10, 64)
	if err != nil || p < 1 {
		return "", 0, false
	}
	return stem[:i], p, true
}

// summarise fills rows and time bounds from the parquet footer; only a file
// without time statistics has its time column read.
func summarise(info *SeriesInfo) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt parquet data (decoder failed: %v)", p)
		}
	}()
	fh, err := os.Open(info.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	file, err := parquet.OpenFile(fh, info.Bytes, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("not a readable parquet file (truncated or corrupt?): %w", err)
	}
	specs, err := resolveColumns(file)
	if err != nil {
		return err
	}
	info.Rows = file.NumRows()
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range file.Metadata().RowGroups {
		rg := &file.Metadata().RowGroups[i]
		if rg.NumRows == 0 {
			continue
		}
		lo, hi, ok := timeBounds(rg, specs[0])
		if !ok {
			f, err := ReadParquetFile(info.Path)
			if err != nil {
				return err
			}
			info.First, info.Last = 0, 0
			for j, t := range f.Time {
				if j == 0 || t < info.First {
					info.First = t
				}
				if j == 0 || t > info.Last {
					info.Last = t
				}
			}
			return nil
		}
		first, last = min(first, lo), max(last, hi)
	}
	if info.Rows > 0 {
		info.First, info.Last = first, last
	}
	return nil
}
