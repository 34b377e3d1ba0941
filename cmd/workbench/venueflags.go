package main

// The flags and venue opening of every command that talks to an exchange.
// The recorder branch (workbench record, store fetch/fill) adds the same
// helpers to env.go; whichever merges second drops its copy.

import (
	"errors"
	"flag"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"workbench/feeds"
	_ "workbench/feeds/binance" // registers the venue
	_ "workbench/feeds/kraken"  // registers the venue
)

// venueFlags are the flags of every command that talks to an exchange.
type venueFlags struct {
	feed, restURL, wsURL string
}

// addVenueFlags puts --feed, --rest-url and --ws-url on fs.
func addVenueFlags(fs *flag.FlagSet) *venueFlags {
	v := &venueFlags{}
	fs.StringVar(&v.feed, "feed", "", "`VENUE` to talk to (default: the fqme's venue token, e.g. binance)")
	fs.StringVar(&v.restURL, "rest-url", "", "the venue's REST `URL` (default: config [feeds.VENUE] rest_url, then the venue's public one)")
	fs.StringVar(&v.wsURL, "ws-url", "", "the venue's websocket `URL` (default: config [feeds.VENUE] ws_url, then the venue's public one)")
	return v
}

// venueFQMEs resolves the venue of fqmes: --feed, or their venue token,
// which must agree. An fqme without the venue's token gets it.
func (v *venueFlags) venueFQMEs(fqmes []string) (string, []string, error) {
	name := strings.ToLower(v.feed)
	out := make([]string, len(fqmes))
	for i, f := range fqmes {
		f = strings.ToLower(f)
		tok := f[strings.LastIndexByte(f, '.')+1:]
		switch {
		case name == "" && !strings.Contains(f, "."):
			return "", nil, usagef("market %q: no venue token (want e.g. btcusdt.spot.binance) and no --feed", f)
		case name == "":
			name = tok
		case tok != name && slices.Contains(feeds.Venues(), tok):
			return "", nil, usagef("market %q is of venue %s, not %s", f, tok, name)
		case tok != name:
			f += "." + name
		}
		out[i] = f
	}
	return name, out, nil
}

// openVenue opens the named venue with the URLs of the flags, else of the
// config file's [feeds.<name>].
func (e *env) openVenue(v *venueFlags, name string) (feeds.Venue, error) {
	fc := e.cfg.Feeds[name]
	cfg := feeds.VenueConfig{WSURL: fc.WSURL, RESTURL: fc.RESTURL,
		CacheDir: filepath.Join(xdgDir("XDG_CACHE_HOME", ".cache"), "workbench", "venues")}
	if v.wsURL != "" {
		cfg.WSURL = v.wsURL
	}
	if v.restURL != "" {
		cfg.RESTURL = v.restURL
	}
	for _, u := range []struct{ flag, url string }{{"--ws-url", cfg.WSURL}, {"--rest-url", cfg.RESTURL}} {
		if u.url == "" {
			continue
		}
		if p, err := url.Parse(u.url); err != nil || p.Scheme == "" || p.Host == "" {
			return nil, usagef("%s %q: want an absolute URL such as wss://host/path or http://127.0.0.1:8080", u.flag, u.url)
		}
	}
	venue, err := feeds.OpenVenue(name, cfg)
	if errors.Is(err, feeds.ErrUnknownVenue) {
		return nil, usagef("unknown venue %q (venues: %s)", name, strings.Join(feeds.Venues(), ", "))
	}
	return venue, err
}
