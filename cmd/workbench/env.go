package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"workbench/feeds"
	"workbench/frames"
)

// env is what every command shares: streams, global flags and the config.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	storeFlag  string
	configFlag string
	cfg        config
	// bars, when set, is where sweep reads its markets instead of the
	// store folder (a test counts the reads through it).
	bars barSource
}

// config is the TOML config file (default $XDG_CONFIG_HOME/workbench/config.toml).
type config struct {
	// Store is the store folder.
	Store string `toml:"store"`
	// Feeds holds per-feed endpoints, e.g. [feeds.binance] ws_url = "...".
	Feeds map[string]feedConfig `toml:"feeds"`
}

type feedConfig struct {
	WSURL   string `toml:"ws_url"`
	RESTURL string `toml:"rest_url"`
}

// flags returns a FlagSet for command c with the global flags on it.
func (e *env) flags(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.storeFlag, "store", "", "store `DIR` (default: config, $WORKBENCH_STORE, then $XDG_DATA_HOME/workbench/store)")
	fs.StringVar(&e.configFlag, "config", "", "config `FILE` (default $XDG_CONFIG_HOME/workbench/config.toml)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: workbench %s\n\n%s\n\nflags:\n", c.usage, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs (flags may come before or after positional
// arguments), loads the config and returns the positional arguments.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	// The flag package prints an error and the whole help on a bad flag;
	// run prints the error and the usage line once, and the help is for -h.
	help := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(e.stderr)
				help()
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if err := e.loadConfig(); err != nil {
		return nil, err
	}
	// Scripts and the REPL read this store through frames.Load.
	frames.SetStoreDir(e.storeDir())
	return pos, nil
}

func (e *env) loadConfig() error {
	path := e.configFlag
	if path == "" {
		path = filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "workbench", "config.toml")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	md, err := toml.DecodeFile(path, &e.cfg)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return fmt.Errorf("config %s: unknown key %q", path, und[0].String())
	}
	return nil
}

// storeDir resolves the store folder: --store, config, $WORKBENCH_STORE, XDG data dir.
func (e *env) storeDir() string {
	switch {
	case e.storeFlag != "":
		return e.storeFlag
	case e.cfg.Store != "":
		return e.cfg.Store
	}
	return frames.DefaultStoreDir()
}

func xdgDir(envVar, fallback string) string {
	if d := os.Getenv(envVar); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return fallback
	}
	return filepath.Join(home, fallback)
}

// periodFlag is a flag.Value reading "60", "1m", "1h", "1d".
type periodFlag struct{ secs int64 }

func (p *periodFlag) String() string {
	if p == nil || p.secs == 0 {
		return ""
	}
	return frames.FormatPeriod(p.secs)
}

func (p *periodFlag) Set(s string) error {
	v, err := frames.ParsePeriod(s)
	p.secs = v
	return err
}

// timeAxisFlag is --time-axis of the commands that draw charts: index (the
// default) or linear.
type timeAxisFlag struct{ linear bool }

// addTimeAxisFlag puts --time-axis on fs.
func addTimeAxisFlag(fs *flag.FlagSet) *timeAxisFlag {
	a := &timeAxisFlag{}
	fs.Var(a, "time-axis", "`AXIS`: index places bars side by side so closed hours take no room; linear at their time (default index)")
	return a
}

func (a *timeAxisFlag) String() string {
	if a != nil && a.linear {
		return "linear"
	}
	return "index"
}

func (a *timeAxisFlag) Set(s string) error {
	if s != "index" && s != "linear" {
		return fmt.Errorf("want index or linear")
	}
	a.linear = s == "linear"
	return nil
}

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

// openVenueStore resolves the venue of fqmes (see venueFQMEs), opens it
// and the store: how every command that brings a venue's data into the
// store starts. It returns the fqmes with the venue's token.
func (e *env) openVenueStore(v *venueFlags, fqmes []string) (feeds.Venue, []string, *frames.Store, error) {
	name, fqmes, err := v.venueFQMEs(fqmes)
	if err != nil {
		return nil, nil, nil, err
	}
	venue, err := e.openVenue(v, name)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := e.openStore()
	if err != nil {
		return nil, nil, nil, err
	}
	return venue, fqmes, st, nil
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
