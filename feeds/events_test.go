package feeds

import (
	"testing"

	"workbench/frames"
)

func TestReplayMergesByCloseTime(t *testing.T) {
	a := frames.New(60, 3)
	a.Add(0, 1, 1, 1, 1, 1)
	a.Add(60, 2, 2, 2, 2, 1)
	a.Add(120, 3, 3, 3, 3, 1)
	b := frames.New(120, 2)
	b.Add(0, 10, 10, 10, 10, 1)
	b.Add(120, 11, 11, 11, 11, 1)
	r, err := NewReplay(ReplaySeries{"a", a}, ReplaySeries{"b", b})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		fqme  string
		close int64
		open  float64
	}
	var seq []got
	for {
		ev, ok := r.Next()
		if !ok {
			break
		}
		if ev.OpenTime() != ev.Bar.Time*1e9 || ev.Time != (ev.Bar.Time+ev.Period)*1e9 {
			t.Fatalf("bad times %+v", ev)
		}
		seq = append(seq, got{ev.FQME, ev.Time / 1e9, ev.Bar.Open})
	}
	want := []got{{"a", 60, 1}, {"a", 120, 2}, {"b", 120, 10}, {"a", 180, 3}, {"b", 240, 11}}
	if len(seq) != len(want) {
		t.Fatalf("got %v want %v", seq, want)
	}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("event %d: got %v want %v", i, seq[i], want[i])
		}
	}
	if r.SeriesIndex("b") != 1 || r.SeriesIndex("zz") != -1 {
		t.Fatal("SeriesIndex")
	}
}

// Each refused series is named in the error, with the row and times of an
// out-of-order bar.
func TestReplayRejectsBadSeries(t *testing.T) {
	ok := frames.New(60, 1)
	ok.Add(0, 1, 1, 1, 1, 1)
	dup := frames.New(60, 3)
	dup.Add(0, 1, 1, 1, 1, 1)
	dup.Add(60, 1, 1, 1, 1, 1)
	dup.Add(60, 1, 1, 1, 1, 1)
	back := frames.New(60, 2)
	back.Add(120, 1, 1, 1, 1, 1)
	back.Add(60, 1, 1, 1, 1, 1)
	for _, c := range []struct {
		bad  *frames.OHLCV
		want string
	}{
		{dup, "replay bad.x: row 2: time 60 not after 60"},
		{back, "replay bad.x: row 1: time 60 not after 120"},
		{frames.New(0, 0), "replay bad.x: unknown bar period 0"},
		{nil, "replay bad.x: no bars"},
	} {
		_, err := NewReplay(ReplaySeries{"ok.x", ok}, ReplaySeries{"bad.x", c.bad})
		if err == nil || err.Error() != c.want {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}
