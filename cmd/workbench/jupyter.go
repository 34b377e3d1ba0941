package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"workbench/internal/atomicfile"
	"workbench/kernel"
	"workbench/scripts"
)

func init() {
	register(&command{
		name:  "jupyter",
		usage: "jupyter install [--user|--prefix DIR] [--name NAME] [--display-name TEXT] | jupyter kernel -f CONNECTION_FILE",
		summary: "the Jupyter kernel: `install` writes a kernelspec where Jupyter finds it (JupyterLab, Notebook, VS Code " +
			"then offer \"Go (workbench)\"); `kernel -f FILE` is the kernel Jupyter starts",
		run: runJupyter,
	})
}

func runJupyter(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("jupyter: want install or kernel")
	}
	switch args[0] {
	case "install":
		return jupyterInstall(e, args[1:])
	case "kernel":
		return jupyterKernel(e, args[1:])
	case "evaluator":
		return jupyterEvaluator(e, args[1:])
	}
	return usagef("jupyter %q: want install or kernel", args[0])
}

func jupyterInstall(e *env, args []string) error {
	fs := e.flags(commands["jupyter"])
	user := fs.Bool("user", false, "install for this user (the default): $JUPYTER_DATA_DIR or ~/.local/share/jupyter/kernels")
	prefix := fs.String("prefix", "", "install under `DIR`/share/jupyter/kernels, as `jupyter kernelspec install --prefix` does")
	name := fs.String("name", "workbench", "kernel `NAME` (the kernelspec folder)")
	display := fs.String("display-name", "Go (workbench)", "the name front ends show")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("jupyter install: unexpected argument %q", pos[0])
	case *user && *prefix != "":
		return usagef("jupyter install: --user and --prefix exclude each other")
	case *name == "" || filepath.Base(*name) != *name:
		return usagef("jupyter install --name %q: want a plain folder name", *name)
	}
	var dir string
	if *prefix != "" {
		dir = filepath.Join(*prefix, "share", "jupyter", "kernels", *name)
	} else {
		data := os.Getenv("JUPYTER_DATA_DIR")
		if data == "" {
			data = filepath.Join(xdgDir("XDG_DATA_HOME", filepath.Join(".local", "share")), "jupyter")
		}
		dir = filepath.Join(data, "kernels", *name)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("jupyter install: this binary's path: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return fmt.Errorf("jupyter install: this binary's path: %w", err)
	}
	argv := []string{exe, "jupyter", "kernel", "-f", "{connection_file}"}
	if e.storeFlag != "" {
		abs, err := filepath.Abs(e.storeFlag)
		if err != nil {
			return fmt.Errorf("jupyter install --store: %w", err)
		}
		argv = append(argv, "--store", abs)
	}
	if e.configFlag != "" {
		abs, err := filepath.Abs(e.configFlag)
		if err != nil {
			return fmt.Errorf("jupyter install --config: %w", err)
		}
		argv = append(argv, "--config", abs)
	}
	spec, err := json.MarshalIndent(map[string]any{
		"argv":           argv,
		"display_name":   *display,
		"language":       "go",
		"interrupt_mode": "signal",
		"metadata":       map[string]any{"debugger": false},
	}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("jupyter install: %w", err)
	}
	files := map[string][]byte{"kernel.json": append(spec, '\n')}
	for _, size := range []int{32, 64} {
		files[fmt.Sprintf("logo-%dx%d.png", size, size)] = logoPNG(size)
	}
	for f, b := range files {
		if err := atomicfile.WriteBytes(filepath.Join(dir, f), 0o644, b); err != nil {
			return fmt.Errorf("jupyter install: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "installed kernelspec %q in %s\n", *name, dir)
	return nil
}

// logoPNG draws the kernel's logo: three candles on a dark square.
func logoPNG(size int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	bg := color.RGBA{0x1e, 0x29, 0x3b, 0xff}
	up, down := color.RGBA{0x22, 0xc5, 0x5e, 0xff}, color.RGBA{0xef, 0x44, 0x44, 0xff}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.Set(x, y, bg)
		}
	}
	u := float64(size) / 32
	candle := func(cx, wickTop, top, bottom, wickBottom float64, c color.RGBA) {
		for y := int(wickTop * u); y < int(wickBottom*u); y++ {
			img.Set(int(cx*u), y, c)
		}
		for y := int(top * u); y < int(bottom*u); y++ {
			for x := int((cx - 2.5) * u); x <= int((cx+2.5)*u); x++ {
				img.Set(x, y, c)
			}
		}
	}
	candle(8, 6, 10, 22, 27, up)
	candle(16, 4, 8, 16, 20, down)
	candle(24, 9, 12, 25, 29, up)
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// kernelVersion is the module version and VCS revision this binary was
// built from, for kernel_info.
func kernelVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

func jupyterKernel(e *env, args []string) error {
	fs := e.flags(commands["jupyter"])
	file := fs.String("f", "", "the connection `FILE` Jupyter wrote")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *file == "" || len(pos) > 0 {
		return usagef("jupyter kernel: want -f CONNECTION_FILE")
	}
	ci, err := kernel.ReadConnectionFile(*file)
	if err != nil {
		return err
	}
	eng, err := kernelEngine(e)
	if err != nil {
		return err
	}
	defer eng.Close()
	k, err := kernel.New(ci, eng, slog.Default())
	if err != nil {
		return err
	}
	// SIGINT interrupts the running cell (Jupyter's default interrupt
	// mode); it never ends the kernel. SIGTERM does.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	kctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM {
				cancel()
				return
			}
			k.Interrupt()
		}
	}()
	return k.Run(kctx)
}

// kernelEngine is the engine the kernel runs cells in: a supervised
// evaluator process (`workbench jupyter evaluator`) when this binary can
// start one, so that no cell ends the kernel (see kernel.Supervised).
func kernelEngine(e *env) (interface {
	kernel.Engine
	Close() error
}, error) {
	version := kernelVersion()
	if selfExe == "" {
		eng, err := kernel.NewScriptsEngine(e.storeDir(), version)
		if err != nil {
			return nil, err
		}
		return inProcess{eng}, nil
	}
	store := e.storeDir()
	start := func() *exec.Cmd {
		cmd := evaluator(context.Background(), e, "jupyter", []string{"evaluator", "--store", store}, "")
		cmd.Stdin, cmd.Stdout = nil, nil
		return cmd
	}
	info := kernel.NewScriptsInfo(version)
	return kernel.NewSupervised(start, info, slog.Default()), nil
}

type inProcess struct{ *kernel.ScriptsEngine }

func (inProcess) Close() error { return nil }

// jupyterEvaluator is the process kernel.Supervised starts: it evaluates
// cells on file descriptors 3 (requests) and 4 (events).
func jupyterEvaluator(e *env, args []string) error {
	fs := e.flags(commands["jupyter"])
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || !scripts.IsEvaluator() {
		return usagef("jupyter evaluator: the kernel starts this itself")
	}
	// The kernel interrupts cells by request; Jupyter's SIGINT to the
	// process group is the kernel's to handle.
	signal.Ignore(os.Interrupt)
	eng, err := kernel.NewScriptsEngine(e.storeDir(), kernelVersion())
	if err != nil {
		return err
	}
	return kernel.ServeEvaluator(eng, os.NewFile(3, "requests"), os.NewFile(4, "events"))
}
