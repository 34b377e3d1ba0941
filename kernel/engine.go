package kernel

import "context"

// Bundle is a MIME bundle: MIME type → data (a string for text types,
// base64 for images, any JSON value for application/json).
type Bundle map[string]any

// Output is where a running cell sends what it produces, as it produces it.
type Output interface {
	// Stream writes text to the cell's "stdout" or "stderr".
	Stream(name, text string)
	// Display shows a value now (display_data); with id set, a later
	// Display of the same id and update true replaces it.
	Display(b Bundle, id string, update bool)
	// Clear clears the cell's output (wait: when the next output arrives).
	Clear(wait bool)
	// Input asks the front end for a line of input; it fails when the
	// request did not allow stdin.
	Input(prompt string, password bool) (string, error)
}

// ExecError is a failed cell, as Jupyter shows it.
type ExecError struct {
	Name      string // e.g. "CompileError", "panic", "interrupted"
	Value     string
	Traceback []string
}

func (e *ExecError) Error() string { return e.Name + ": " + e.Value }

// Engine evaluates cells. The kernel calls it from one goroutine at a time,
// except Interrupt-by-context: Execute's ctx is cancelled on an
// interrupt_request or SIGINT, and Execute must then return promptly with
// the session's definitions intact.
type Engine interface {
	// Execute runs code; it returns the bundle of a trailing expression's
	// value (nil for none) or an error (an *ExecError shows as such).
	Execute(ctx context.Context, code string, out Output) (Bundle, error)
	// Complete returns the completions of the word at cursor (a rune
	// offset in code) and the rune range [start, end) they replace.
	Complete(code string, cursor int) (matches []string, start, end int)
	// Inspect returns documentation of the name at cursor, if any.
	Inspect(code string, cursor int, detail int) (Bundle, bool)
	// IsComplete reports "complete", "incomplete" or "invalid", and the
	// indent to continue with when incomplete.
	IsComplete(code string) (status, indent string)
	// Restart drops every definition.
	Restart() error
	// Info describes the engine for kernel_info_reply.
	Info() Info
}

// Info is what kernel_info_reply tells about the language and the kernel.
type Info struct {
	Implementation        string
	ImplementationVersion string
	LanguageVersion       string
	Banner                string
	HelpLinks             []HelpLink
}

// HelpLink is a link the front end shows in its help menu.
type HelpLink struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}
