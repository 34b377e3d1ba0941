package scripts

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"workbench/display"
)

// Jupyter notebooks (nbformat 4) are the other form of a notebook: cells
// are the same cells, a .go cell's "// %% Title" is the cell's
// metadata.title, and an executed notebook's outputs carry the MIME
// bundles the kernel sends (MIME), so a notebook run by `workbench
// notebook` and one run in Jupyter show the same things.

type ipynb struct {
	Cells         []ipynbCell    `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
}

type ipynbCell struct {
	ID             string          `json:"id,omitempty"`
	CellType       string          `json:"cell_type"`
	Metadata       map[string]any  `json:"metadata"`
	Source         multiline       `json:"source"`
	ExecutionCount json.RawMessage `json:"execution_count,omitempty"` // null in a code cell that did not run
	Outputs        *[]ipynbOutput  `json:"outputs,omitempty"`
	Attachments    json.RawMessage `json:"attachments,omitempty"`
}

type ipynbOutput struct {
	OutputType     string          `json:"output_type"`
	Name           string          `json:"name,omitempty"`
	Text           *multiline      `json:"text,omitempty"`
	Data           map[string]any  `json:"data,omitempty"`
	Metadata       json.RawMessage `json:"metadata,omitempty"` // {} in display_data and execute_result, absent in the others
	ExecutionCount *int            `json:"execution_count,omitempty"`
	EName          string          `json:"ename,omitempty"`
	EValue         string          `json:"evalue,omitempty"`
	Traceback      []string        `json:"traceback,omitempty"`
}

// multiline is nbformat's text: a string or a list of lines.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*m = multiline(strings.Join(lines, ""))
	return nil
}

// MarshalJSON writes lines, as Jupyter does, so that notebooks diff well.
func (m multiline) MarshalJSON() ([]byte, error) {
	lines := strings.SplitAfter(string(m), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if lines == nil {
		lines = []string{}
	}
	return json.Marshal(lines)
}

// ParseIPynb reads a Jupyter notebook (nbformat 4) into cells; raw cells
// are dropped. Errors in a cell name the notebook and the cell, e.g.
// "study.ipynb#3:2" for line 2 of the third cell.
func ParseIPynb(file string, src []byte) (*Notebook, error) {
	var nb ipynb
	if err := json.Unmarshal(src, &nb); err != nil {
		return nil, fmt.Errorf("notebook %s: %w", file, err)
	}
	if nb.NBFormat != 4 {
		return nil, fmt.Errorf("notebook %s: nbformat %d: only nbformat 4 is read", file, nb.NBFormat)
	}
	out := &Notebook{File: file}
	for i, c := range nb.Cells {
		cell := &Cell{Line: 1, Source: string(c.Source), Name: fmt.Sprintf("%s#%d", filepath.Base(file), i+1)}
		if t, ok := c.Metadata["title"].(string); ok {
			cell.Title = t
		}
		switch c.CellType {
		case "markdown":
			cell.Markdown = true
		case "code":
		case "raw":
			continue
		default:
			return nil, fmt.Errorf("notebook %s: cell %d: cell_type %q", file, i+1, c.CellType)
		}
		out.Cells = append(out.Cells, cell)
	}
	return out, nil
}

// WriteIPynb writes nb as a Jupyter notebook for the workbench kernel,
// with each cell's outputs when it ran.
func (nb *Notebook) WriteIPynb(w io.Writer) error {
	doc := ipynb{
		NBFormat: 4, NBFormatMinor: 5,
		Metadata: map[string]any{
			"kernelspec":    map[string]any{"name": "workbench", "display_name": "Go (workbench)", "language": "go"},
			"language_info": map[string]any{"name": "go", "file_extension": ".go", "mimetype": "text/x-go"},
		},
		Cells: []ipynbCell{},
	}
	count := 0
	for i, c := range nb.Cells {
		cell := ipynbCell{ID: fmt.Sprintf("cell-%d", i+1), Metadata: map[string]any{}, Source: multiline(c.Source)}
		if c.Title != "" {
			cell.Metadata["title"] = c.Title
		}
		if c.Markdown {
			cell.CellType = "markdown"
			doc.Cells = append(doc.Cells, cell)
			continue
		}
		cell.CellType = "code"
		outs := []ipynbOutput{}
		cell.Outputs = &outs
		cell.ExecutionCount = json.RawMessage("null")
		if c.Ran {
			count++
			n := count
			cell.ExecutionCount = json.RawMessage(fmt.Sprint(n))
			var err error
			if outs, err = cellOutputs(c, n); err != nil {
				return fmt.Errorf("notebook %s: cell %d: %w", nb.File, i+1, err)
			}
			cell.Outputs = &outs
		}
		doc.Cells = append(doc.Cells, cell)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func cellOutputs(c *Cell, count int) ([]ipynbOutput, error) {
	outs := []ipynbOutput{}
	if c.Output != "" {
		t := multiline(c.Output)
		outs = append(outs, ipynbOutput{OutputType: "stream", Name: "stdout", Text: &t})
	}
	for _, img := range c.Images {
		b, err := os.ReadFile(img)
		if err != nil {
			return nil, err
		}
		mime := imageExt[strings.ToLower(filepath.Ext(img))]
		data := map[string]any{"text/plain": fmt.Sprintf("[%s]", filepath.Base(img))}
		if mime == "image/svg+xml" {
			data[mime] = string(b)
		} else {
			data[mime] = base64.StdEncoding.EncodeToString(b)
		}
		outs = append(outs, ipynbOutput{OutputType: "display_data", Data: data, Metadata: emptyObject})
	}
	if c.Err != nil {
		outs = append(outs, ipynbOutput{OutputType: "error", EName: "Error", EValue: c.Err.Error(),
			Traceback: strings.Split(c.Err.Error(), "\n")})
	} else if len(c.Bundle) > 0 {
		n := count
		outs = append(outs, ipynbOutput{OutputType: "execute_result", Data: bundleData(c.Bundle), Metadata: emptyObject, ExecutionCount: &n})
	}
	return outs, nil
}

var emptyObject = json.RawMessage("{}")

func bundleData(b display.Bundle) map[string]any {
	out := make(map[string]any, len(b))
	for k, v := range b {
		out[k] = v
	}
	return out
}

// WriteGo writes nb as a .go notebook: each cell after a "// %%" marker
// line (with its title), Markdown cells as comment lines.
func (nb *Notebook) WriteGo(w io.Writer) error {
	var b strings.Builder
	for i, c := range nb.Cells {
		if i > 0 {
			b.WriteString("\n")
		}
		marker := "// %%"
		if c.Markdown {
			marker += " [markdown]"
		}
		if c.Title != "" {
			marker += " " + c.Title
		}
		b.WriteString(marker + "\n")
		src := strings.TrimRight(c.Source, "\n")
		if c.Markdown {
			for _, l := range strings.Split(src, "\n") {
				if l == "" {
					b.WriteString("//\n")
				} else {
					b.WriteString("// " + l + "\n")
				}
			}
			continue
		}
		b.WriteString(src + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
