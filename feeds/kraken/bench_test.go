package kraken

import (
	"encoding/json"
	"os"
	"testing"

	"workbench/feeds"
	"workbench/internal/oracle"
)

// BenchmarkDecodeV2Trade decodes the recorded v2 trade message (two
// trades) with Decode; BenchmarkDecodeV2TradePlainJSON, the anchor, only
// unmarshals it into a struct.
func BenchmarkDecodeV2Trade(b *testing.B) {
	msg, err := os.ReadFile(oracle.Path(b, "raw/kraken/ws_v2_trade_update.json"))
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]feeds.Event, 0, 4)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if evs, err = Decode(msg, 1, evs[:0]); err != nil || len(evs) != 2 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeV2TradePlainJSON(b *testing.B) {
	msg, err := os.ReadFile(oracle.Path(b, "raw/kraken/ws_v2_trade_update.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		var m struct {
			Channel, Type string
			Data          []v2Trade
		}
		if err := json.Unmarshal(msg, &m); err != nil || len(m.Data) != 2 {
			b.Fatal(err)
		}
	}
}
