package kraken

import (
	"encoding/json"
	"testing"
)

// TestNewMarketLegacyNames: a pair with Kraken's legacy X/Z asset codes
// (the shape of AssetPairs' XXBTZUSD entry) and one without tick_size.
func TestNewMarketLegacyNames(t *testing.T) {
	var raw map[string]assetPair
	if err := json.Unmarshal([]byte(`{
		"XXBTZUSD": {"altname":"XBTUSD","wsname":"XBT/USD","base":"XXBT","quote":"ZUSD","pair_decimals":1,"lot_decimals":8,"ordermin":"0.0001","costmin":"0.5","tick_size":"0.1","status":"online"},
		"XDGEUR": {"altname":"XDGEUR","wsname":"XDG/EUR","base":"XXDG","quote":"ZEUR","pair_decimals":7,"lot_decimals":8,"ordermin":"50","status":"online"}
	}`), &raw); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]struct{ fqme, tick, lot, minNotional, rest, v1, v2 string }{
		"XXBTZUSD": {"btcusd.spot.kraken", "0.1", "0.00000001", "0.5", "XBTUSD", "XBT/USD", "BTC/USD"},
		"XDGEUR":   {"dogeeur.spot.kraken", "0.0000001", "0.00000001", "0", "XDGEUR", "XDG/EUR", "DOGE/EUR"},
	} {
		mp, err := newMarket(key, raw[key])
		if err != nil {
			t.Fatal(err)
		}
		m := marketOf(mp)
		if mp.FQME() != want.fqme || mp.PriceTick.String() != want.tick || mp.SizeTick.String() != want.lot ||
			mp.MinNotional.String() != want.minNotional || m.rest != want.rest || m.wsV1 != want.v1 || m.wsV2 != want.v2 ||
			SymbolFQME(want.v1) != want.fqme || SymbolFQME(want.v2) != want.fqme || mp.Src.AType != "fiat" {
			t.Errorf("%s: %+v %+v", key, mp, m)
		}
	}
	if _, err := newMarket("BAD", assetPair{WSName: "XBT/USD", TickSize: "ten"}); err == nil {
		t.Error("a bad tick_size was accepted")
	}
}
