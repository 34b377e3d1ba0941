package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/BurntSushi/toml"

	"workbench/frames"
)

// env is what every command shares: streams, global flags and the config.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	storeFlag  string
	configFlag string
	cfg        config
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
