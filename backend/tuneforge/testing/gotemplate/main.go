// Command gotemplate renders an Ollama TEMPLATE the way an Ollama server does, using only Go's
// standard library, for TuneForge's loopback Ollama (tuneforge/testing/fake_ollama.py).
//
// It reads one JSON object on stdin:
//
//	{"template": "...", "system": "...", "messages": [{"role": "user", "content": "..."}], "check_only": false}
//
// and prints the rendered prompt on stdout (exit 0), or the error on stderr (exit 1).
// "system" is the model's default SYSTEM: like Ollama's chat handler, it is put in front of the
// messages when they do not start with a system message. "check_only" parses the template only
// (what /api/create does with a TEMPLATE it receives).
//
// What it mirrors from Ollama's template package:
//   - templates are parsed with missingkey=zero and a `json` function;
//   - a template that names neither .Messages nor .Response gets `{{ .Response }}` appended;
//   - consecutive messages of one role are merged (joined by a blank line) and every system
//     message's content is joined into .System, system messages staying in .Messages;
//   - a template that uses .Messages is executed once with .System, .Messages, .Tools, .Response "";
//   - otherwise (a legacy .System/.Prompt/.Response template) it is executed once per exchange,
//     and the last execution stops right after `{{ .Response }}` so the model continues from there.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
)

type message struct {
	Role      string            `json:"role"`
	Content   string            `json:"content"`
	Thinking  string            `json:"thinking,omitempty"`
	Images    []string          `json:"images,omitempty"`
	ToolCalls []json.RawMessage `json:"tool_calls,omitempty"`
	ToolName  string            `json:"tool_name,omitempty"`
}

type request struct {
	Template  string    `json:"template"`
	System    string    `json:"system"`
	Messages  []message `json:"messages"`
	CheckOnly bool      `json:"check_only"`
}

var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
}

func parseTemplate(text string) (*template.Template, error) {
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, err
	}
	vars := variables(tmpl)
	if !vars["messages"] && !vars["response"] {
		tail, err := template.New("").Parse("{{ .Response }}")
		if err != nil {
			return nil, err
		}
		tmpl.Tree.Root.Nodes = append(tmpl.Tree.Root.Nodes, tail.Tree.Root.Nodes...)
	}
	return tmpl, nil
}

// variables: the lower-cased names of every field and variable the template mentions.
func variables(tmpl *template.Template) map[string]bool {
	found := map[string]bool{}
	var walk func(parse.Node)
	walk = func(node parse.Node) {
		switch n := node.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, child := range n.Nodes {
				walk(child)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.TemplateNode:
			if n.Pipe != nil {
				walk(n.Pipe)
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			if n.ElseList != nil {
				walk(n.ElseList)
			}
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			if n.ElseList != nil {
				walk(n.ElseList)
			}
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			if n.ElseList != nil {
				walk(n.ElseList)
			}
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, cmd := range n.Cmds {
				for _, arg := range cmd.Args {
					walk(arg)
				}
			}
		case *parse.FieldNode:
			for _, ident := range n.Ident {
				found[strings.ToLower(ident)] = true
			}
		case *parse.VariableNode:
			for _, ident := range n.Ident {
				found[strings.ToLower(ident)] = true
			}
		}
	}
	for _, t := range tmpl.Templates() {
		if t.Tree != nil {
			walk(t.Tree.Root)
		}
	}
	return found
}

// collate merges consecutive messages of one role (tool results excepted) and gathers the system text.
func collate(msgs []message) (string, []*message) {
	var system []string
	var out []*message
	for i := range msgs {
		m := msgs[i]
		if m.Role == "system" {
			system = append(system, m.Content)
		}
		if len(out) > 0 && out[len(out)-1].Role == m.Role && m.Role != "tool" {
			out[len(out)-1].Content += "\n\n" + m.Content
			continue
		}
		copied := m
		out = append(out, &copied)
	}
	return strings.Join(system, "\n\n"), out
}

// cutAfterResponse drops every node that comes after the first `.Response` field, walking the
// lists of actions and of if/range/with bodies in order (conditions are not looked into).
func cutAfterResponse(root *parse.ListNode) *parse.ListNode {
	cut := false
	var list func(*parse.ListNode) *parse.ListNode
	var node func(parse.Node) parse.Node
	var pipe func(*parse.PipeNode) *parse.PipeNode
	list = func(l *parse.ListNode) *parse.ListNode {
		if l == nil {
			return nil
		}
		var kept []parse.Node
		for _, child := range l.Nodes {
			if n := node(child); n != nil {
				kept = append(kept, n)
			}
		}
		l.Nodes = kept
		return l
	}
	pipe = func(p *parse.PipeNode) *parse.PipeNode {
		if p == nil {
			return nil
		}
		var cmds []*parse.CommandNode
		for _, cmd := range p.Cmds {
			var args []parse.Node
			for _, arg := range cmd.Args {
				if n := node(arg); n != nil {
					args = append(args, n)
				}
			}
			if len(args) > 0 {
				cmd.Args = args
				cmds = append(cmds, cmd)
			}
		}
		if len(cmds) == 0 {
			return nil
		}
		p.Cmds = cmds
		return p
	}
	node = func(n parse.Node) parse.Node {
		if field, ok := n.(*parse.FieldNode); ok {
			for _, ident := range field.Ident {
				if ident == "Response" {
					cut = true
					return n
				}
			}
		}
		if cut {
			return nil
		}
		switch t := n.(type) {
		case *parse.ListNode:
			return list(t)
		case *parse.ActionNode:
			p := pipe(t.Pipe)
			if p == nil {
				return nil
			}
			t.Pipe = p
		case *parse.IfNode:
			t.List = list(t.List)
			if t.ElseList != nil {
				t.ElseList = list(t.ElseList)
			}
		case *parse.RangeNode:
			t.List = list(t.List)
			if t.ElseList != nil {
				t.ElseList = list(t.ElseList)
			}
		case *parse.WithNode:
			t.List = list(t.List)
			if t.ElseList != nil {
				t.ElseList = list(t.ElseList)
			}
		}
		return n
	}
	return list(root)
}

func render(req request) (string, error) {
	tmpl, err := parseTemplate(req.Template)
	if err != nil {
		return "", err
	}
	if req.CheckOnly {
		return "", nil
	}
	msgs := req.Messages
	if len(msgs) > 0 && msgs[0].Role != "system" && req.System != "" {
		msgs = append([]message{{Role: "system", Content: req.System}}, msgs...)
	}
	system, collated := collate(msgs)
	var out bytes.Buffer
	if variables(tmpl)["messages"] {
		err := tmpl.Execute(&out, map[string]any{
			"System": system, "Messages": collated, "Tools": nil, "Response": "",
			"Think": false, "IsThinkSet": false,
		})
		return out.String(), err
	}

	// Legacy templates: one execution per exchange.
	values := func(system, prompt, response string) map[string]any {
		return map[string]any{"System": system, "Prompt": prompt, "Response": response, "Think": false, "IsThinkSet": false}
	}
	var sys, prompt, response string
	flush := func() error {
		if err := tmpl.Execute(&out, values(sys, prompt, response)); err != nil {
			return err
		}
		sys, prompt, response = "", "", ""
		return nil
	}
	for _, m := range collated {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := flush(); err != nil {
					return "", err
				}
			}
			sys = m.Content
		case "user":
			if response != "" {
				if err := flush(); err != nil {
					return "", err
				}
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}
	root := cutAfterResponse(tmpl.Tree.Root.CopyList())
	last, err := template.New("").Option("missingkey=zero").Funcs(funcs).AddParseTree("", &parse.Tree{Root: root})
	if err != nil {
		return "", err
	}
	if err := last.Execute(&out, values(sys, prompt, response)); err != nil {
		return "", err
	}
	return out.String(), nil
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(2)
	}
	text, err := render(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.WriteString(text)
}
