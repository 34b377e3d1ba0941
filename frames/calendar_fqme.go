package frames

import "strings"

// venueCalendars maps fqme tokens (venues, brokers, piker's crypto venue
// names) to the calendar their markets trade on.
var venueCalendars = map[string]string{
	"binance": "crypto", "kraken": "crypto", "crypto": "crypto", "coinbase": "crypto", "bybit": "crypto",
	"spot": "crypto", "perp": "crypto", "usdtm": "crypto",
	"cme": "cme", "globex": "cme", "cbot": "cme", "nymex": "cme", "comex": "cme",
	"nasdaq": "us-equity", "nyse": "us-equity", "arca": "us-equity", "amex": "us-equity",
}

// cmeRoots maps CME contract roots to the product group whose calendar they
// trade on; a CME market with another root gets "cme" (= cme-equity).
var cmeRoots = map[string]string{
	"es": "cme-equity", "mes": "cme-equity", "nq": "cme-equity", "mnq": "cme-equity", "ym": "cme-equity",
	"mym": "cme-equity", "rty": "cme-equity", "m2k": "cme-equity", "emd": "cme-equity",
	"6e": "cme-fx", "6j": "cme-fx", "6b": "cme-fx", "6a": "cme-fx", "6c": "cme-fx", "6s": "cme-fx",
	"6n": "cme-fx", "6m": "cme-fx", "m6e": "cme-fx", "m6a": "cme-fx", "m6b": "cme-fx",
	"zn": "cme-rates", "zb": "cme-rates", "zf": "cme-rates", "zt": "cme-rates", "ub": "cme-rates",
	"tn": "cme-rates", "sr3": "cme-rates", "sr1": "cme-rates", "zq": "cme-rates", "ge": "cme-rates",
}

// cmeRoot strips a futures month code and year (h4, z24) from a symbol.
func cmeRoot(sym string) string {
	i := len(sym)
	for i > 0 && sym[i-1] >= '0' && sym[i-1] <= '9' {
		i--
	}
	if i < len(sym) && i > 1 && strings.IndexByte("fghjkmnquvxz", sym[i-1]) >= 0 {
		return sym[:i-1]
	}
	return sym
}

// CalendarNameForFQME infers a market's calendar from its fqme's tokens
// (btcusdt.spot.binance → crypto, goog.nasdaq.ib → us-equity, 6eh4.cme.ib →
// cme-fx by the contract root); "" when no token names a known venue or the
// tokens disagree.
func CalendarNameForFQME(fqme string) string {
	found := ""
	toks := strings.Split(strings.ToLower(fqme), ".")
	for _, tok := range toks {
		c, ok := venueCalendars[tok]
		if !ok {
			continue
		}
		if found != "" && found != c {
			return ""
		}
		found = c
	}
	if found == "cme" {
		if g, ok := cmeRoots[cmeRoot(toks[0])]; ok {
			return g
		}
	}
	return found
}

// CalendarForFQME is the calendar CalendarNameForFQME names, or nil.
func CalendarForFQME(fqme string) Calendar {
	c, err := CalendarByName(CalendarNameForFQME(fqme))
	if err != nil {
		return nil
	}
	return c
}
