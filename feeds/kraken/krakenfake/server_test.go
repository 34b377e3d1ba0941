package krakenfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"

	"workbench/feeds/venuefake"
	"workbench/internal/oracle"
)

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// shape is a row's JSON types, e.g. "number string string … number".
func shape(row []any) string {
	s := ""
	for _, v := range row {
		s += fmt.Sprintf("%T ", v)
	}
	return s
}

// TestRESTShapesMatchRecorded: the fake's OHLC and Trades answers have
// the layout of the real recorded ones: the same field types per row, a
// 721-row OHLC window whose last row is after `last`, a string ns cursor.
func TestRESTShapesMatchRecorded(t *testing.T) {
	realOHLC := readJSON(t, oracle.Path(t, "raw/kraken/rest_0_public_OHLC_XBTUSDT_1m.json"))
	realTrades := readJSON(t, oracle.Path(t, "raw/kraken/rest_0_public_Trades.json"))
	const now = 1_760_000_000
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.kraken", Seed: 1, Start: (now - 86400) * 1e9, Price: 60000, Tick: 0.1, Lot: 0.00000001})
	s, err := New(Options{Clock: venuefake.NewClock(now*1e9, 0), Tapes: []*venuefake.Tape{tape}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	check := func(name string, got, want map[string]any, pair string, wantRows int) []any {
		t.Helper()
		if e := got["error"].([]any); len(e) != 0 {
			t.Fatalf("%s: error %v", name, e)
		}
		gr, wr := got["result"].(map[string]any), want["result"].(map[string]any)
		rows, wrows := gr[pair].([]any), wr["XBTUSDT"].([]any)
		if wantRows > 0 && len(rows) != wantRows || len(wrows) == 0 || len(rows) == 0 {
			t.Fatalf("%s: %d rows (real %d)", name, len(rows), len(wrows))
		}
		for i, r := range rows {
			if g, w := shape(r.([]any)), shape(wrows[0].([]any)); g != w {
				t.Fatalf("%s row %d: %s, real rows are %s", name, i, g, w)
			}
		}
		if fmt.Sprintf("%T", gr["last"]) != fmt.Sprintf("%T", wr["last"]) {
			t.Errorf("%s last: %T, real %T", name, gr["last"], wr["last"])
		}
		return rows
	}
	got := getJSON(t, s.RESTURL()+"/0/public/OHLC?pair=XBTUSDT&interval=1")
	rows := check("OHLC", got, realOHLC, "XBTUSDT", len(realOHLC["result"].(map[string]any)["XBTUSDT"].([]any)))
	last := got["result"].(map[string]any)["last"].(float64)
	if rows[len(rows)-2].([]any)[0].(float64) != last || rows[len(rows)-1].([]any)[0].(float64) != last+60 || last+60 != now/60*60 {
		t.Errorf("last %v: want the row before the forming one (%d)", last, now/60*60)
	}
	got = getJSON(t, s.RESTURL()+"/0/public/Trades?pair=XBTUSDT&since="+fmt.Sprint(int64(now-7200)*1e9))
	rows = check("Trades", got, realTrades, "XBTUSDT", 1000)
	lastTrade := rows[999].([]any)
	if want := tape.Trades((now-7200)*1e9, now*1e9)[999]; got["result"].(map[string]any)["last"] != fmt.Sprint(want.Time) ||
		int64(lastTrade[6].(float64)) != want.ID {
		t.Errorf("Trades last %v, row %v; want %d at %d", got["result"].(map[string]any)["last"], lastTrade, want.ID, want.Time)
	}

	for _, u := range []string{"/0/public/OHLC?pair=XBTUSDX", "/0/public/Trades?pair=XBTUSDX", "/0/public/AssetPairs?pair=XBTUSDX"} {
		if e := getJSON(t, s.RESTURL()+u)["error"].([]any); len(e) != 1 || e[0] != "EQuery:Unknown asset pair" {
			t.Errorf("%s: %v", u, e)
		}
	}
}
