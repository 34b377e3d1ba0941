package frames

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"workbench/internal/atomicfile"
)

// ErrNotFound is wrapped by Store errors about a series the store does not
// have.
var ErrNotFound = errors.New("series not found")

// Store is a folder of parquet OHLCV files, one per market and period, named
// as piker's nativedb names them: `<fqme>.ohlcv<N>s.parquet`, e.g.
// `btcusdt.spot.binance.ohlcv60s.parquet`. Every write replaces its file
// atomically, so a crash leaves the old series or the new one.
//
// Write, Append and Delete hold the series' advisory lock, an exclusive
// flock (LockFileEx on Windows) on the hidden sidecar
// `.<fqme>.ohlcv<N>s.parquet.lock`, for the whole read-merge-write, so
// goroutines and processes appending to one series at once keep every bar.
// Readers take no lock: a rename-replaced file is always whole. The kernel
// drops a lock when its holder dies, so a crash never wedges a series. Any
// program writing series files into a store folder must go through a Store
// (or hold that lock): OpenStore takes an unlocked series' temporary files
// for a crashed writer's leftovers and removes them.
type Store struct {
	dir string
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
// It removes the temporary files of series writes that a killed writer left
// behind: those of series whose lock no live process holds (see Store).
// Cleanup is best effort (a read-only store keeps its leftovers, which List
// skips anyway); what it cannot remove it logs.
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
	s := &Store{dir: dir}
	if err == nil {
		s.removeStaleTemps()
	}
	return s, nil
}

// removeStaleTemps removes atomic-write leftovers of series files. Every
// Store write holds the series lock from creating its temporary file to
// renaming it, so a temporary file whose series lock is free belongs to a
// writer that died.
func (s *Store) removeStaleTemps() {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		slog.Warn("store: cannot look for leftover temporary files", "dir", s.dir, "err", err)
		return
	}
	for _, ent := range ents {
		name := ent.Name()
		if ent.IsDir() || !atomicfile.IsTemp(name) {
			continue
		}
		target := name[1:strings.LastIndex(name, ".tmp-")]
		if _, _, ok := ParseSeriesFileName(target); !ok {
			continue
		}
		l, err := lockSeries(filepath.Join(s.dir, "."+target+".lock"), false)
		if err != nil {
			slog.Warn("store: cannot check leftover temporary file", "file", filepath.Join(s.dir, name), "err", err)
			continue
		}
		if l == nil {
			continue // a live writer holds the series: the file may be its
		}
		path := filepath.Join(s.dir, name)
		if err := os.Remove(path); err == nil {
			slog.Info("store: removed a crashed writer's temporary file", "file", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			slog.Warn("store: cannot remove leftover temporary file", "file", path, "err", err)
		}
		l.unlock()
	}
}

// seriesLock is a held series lock: the in-process mutex, then the file lock
// that excludes other processes.
type seriesLock struct {
	mu *sync.Mutex
	f  *os.File
}

// inProcess maps a lock file's absolute path to its mutex. File locks alone
// would do on most systems; the mutex also covers systems without them and
// keeps waiting goroutines from each holding a file open.
var inProcess sync.Map

// lockSeries takes the lock whose sidecar file is path, creating the file if
// needed. With wait false it returns nil, nil when the lock is held.
func lockSeries(path string, wait bool) (*seriesLock, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	v, _ := inProcess.LoadOrStore(abs, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	if wait {
		mu.Lock()
	} else if !mu.TryLock() {
		return nil, nil
	}
	for {
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			mu.Unlock()
			return nil, fmt.Errorf("lock: %w", err)
		}
		ok, err := lockFile(f, wait)
		if err != nil || !ok {
			f.Close()
			mu.Unlock()
			if err != nil {
				return nil, fmt.Errorf("lock: %w", err)
			}
			return nil, nil
		}
		// Delete removes the sidecar while holding it; a lock taken on the
		// removed file while we waited guards nothing, so take the new one.
		held, err1 := f.Stat()
		now, err2 := os.Stat(abs)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &seriesLock{mu: mu, f: f}, nil
		}
		f.Close()
		if err1 != nil || (err2 != nil && !errors.Is(err2, fs.ErrNotExist)) {
			mu.Unlock()
			return nil, fmt.Errorf("lock: %w", errors.Join(err1, err2))
		}
	}
}

func (l *seriesLock) unlock() {
	unlockFile(l.f)
	l.f.Close()
	l.mu.Unlock()
}

// lockPath is the sidecar file whose lock guards (fqme, period).
func (s *Store) lockPath(fqme string, period int64) string {
	return filepath.Join(s.dir, "."+filepath.Base(s.Path(fqme, period))+".lock")
}

// lock takes the series lock, creating the store folder if needed.
func (s *Store) lock(op, fqme string, period int64) (*seriesLock, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, s.errorf(op, fqme, period, err)
	}
	l, err := lockSeries(s.lockPath(fqme, period), true)
	if err != nil {
		return nil, s.errorf(op, fqme, period, err)
	}
	return l, nil
}

// errorf wraps err with the operation, the series key and the series file,
// which every Store error names (once: a parquet error names the file).
func (s *Store) errorf(op, fqme string, period int64, err error) error {
	if period < 1 {
		return fmt.Errorf("store %s %s (in %s): %w", op, key(fqme, period), s.dir, err)
	}
	path := s.Path(fqme, period)
	if strings.Contains(err.Error(), path) {
		return fmt.Errorf("store %s %s: %w", op, key(fqme, period), err)
	}
	return fmt.Errorf("store %s %s (%s): %w", op, key(fqme, period), path, err)
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
	if fqme == "" {
		fqme = `""`
	}
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
	f, err := s.readRange(fqme, period, from, to)
	if err != nil {
		return nil, s.errorf("read", fqme, period, err)
	}
	return f, nil
}

// readRange is ReadRange with errors for the caller to wrap; a missing
// series is ErrNotFound.
func (s *Store) readRange(fqme string, period, from, to int64) (*OHLCV, error) {
	if err := checkKey(fqme, period); err != nil {
		return nil, err
	}
	f, err := ReadParquetFileRange(s.Path(fqme, period), from, to)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
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
	if f == nil {
		f = &OHLCV{}
	}
	period := f.Period
	if period == 0 {
		period = DetectPeriod(f.Time)
	}
	if err := checkWrite(fqme, period, f); err != nil {
		return s.errorf("write", fqme, period, err)
	}
	l, err := s.lock("write", fqme, period)
	if err != nil {
		return err
	}
	defer l.unlock()
	return s.write("write", fqme, period, f)
}

// checkWrite refuses what Write would not store.
func checkWrite(fqme string, period int64, f *OHLCV) error {
	if err := checkKey(fqme, period); err != nil {
		return err
	}
	if err := f.checkColumns(); err != nil {
		return err
	}
	for i := 1; i < len(f.Time); i++ {
		if f.Time[i] <= f.Time[i-1] {
			return fmt.Errorf("row %d: time %d is not after %d (times must be strictly ascending; Append merges)",
				i+1, f.Time[i], f.Time[i-1])
		}
	}
	return nil
}

// write replaces the series file; the caller holds the series lock.
func (s *Store) write(op, fqme string, period int64, f *OHLCV) error {
	g := *f
	g.Period = period
	if err := WriteParquetFile(s.Path(fqme, period), &g); err != nil {
		return s.errorf(op, fqme, period, err)
	}
	return nil
}

// Append merges f into the stored series (creating it if missing) with
// Merge's default policy: identical duplicates are dropped, conflicting bars
// are reported and the newer one wins. The file is replaced atomically, and
// the series lock is held from the read to the rename, so concurrent
// appenders in any process each see the other's bars.
func (s *Store) Append(fqme string, f *OHLCV) (MergeReport, error) {
	if f == nil {
		f = &OHLCV{}
	}
	period := f.Period
	if period == 0 {
		period = DetectPeriod(f.Time)
	}
	if err := checkKey(fqme, period); err != nil {
		return MergeReport{}, s.errorf("append", fqme, period, err)
	}
	l, err := s.lock("append", fqme, period)
	if err != nil {
		return MergeReport{}, err
	}
	defer l.unlock()
	old, err := s.readRange(fqme, period, math.MinInt64, math.MaxInt64)
	if errors.Is(err, ErrNotFound) {
		old, err = &OHLCV{Period: period}, nil
	}
	if err != nil {
		return MergeReport{}, s.errorf("append", fqme, period, err)
	}
	g := *f
	g.Period = period
	merged, rep, err := old.Merge(&g, MergeOptions{})
	if err != nil {
		return rep, s.errorf("append", fqme, period, err)
	}
	return rep, s.write("append", fqme, period, merged)
}

// Delete removes the series and its lock file.
func (s *Store) Delete(fqme string, period int64) error {
	if err := checkKey(fqme, period); err != nil {
		return s.errorf("delete", fqme, period, err)
	}
	if _, err := os.Stat(s.dir); errors.Is(err, fs.ErrNotExist) {
		return s.errorf("delete", fqme, period, ErrNotFound)
	}
	l, err := s.lock("delete", fqme, period)
	if err != nil {
		return err
	}
	defer l.unlock()
	err = os.Remove(s.Path(fqme, period))
	if errors.Is(err, fs.ErrNotExist) {
		err = ErrNotFound
	}
	// Removed while held: a process waiting on the old file notices and
	// locks a new one (see lockSeries).
	os.Remove(l.f.Name())
	if err != nil {
		return s.errorf("delete", fqme, period, err)
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
	fh, err := os.Open(info.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	meta, err := readFooter(fh, info.Bytes)
	if err != nil {
		return err
	}
	specs, _, err := resolveColumns(meta.Schema)
	if err != nil {
		return err
	}
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range meta.RowGroups {
		rg := &meta.RowGroups[i]
		info.Rows += rg.NumRows
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
