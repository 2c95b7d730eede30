package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
	"github.com/accretedb/accrete/rulestore"
	"github.com/prometheus/client_golang/prometheus"
)

// The rules API (Options.Rules):
//
//	PUT    /api/v1/rules/{name}[?drop_facts=true]  program text; 201 created, 200 replaced
//	GET    /api/v1/rules                           every program: rules, activations, types, facts
//	GET    /api/v1/rules/{name}                    one program, with its source
//	DELETE /api/v1/rules/{name}
//	GET    /api/v1/rules/{name}/explain?rule=R&key=K
//	POST   /api/v1/facts                           facts and retractions, one step
//	GET    /api/v1/facts                           the declared types with their fact counts
//	GET    /api/v1/facts/{type}[?limit=N]          facts of a type in first-assert order
//	DELETE /api/v1/facts/{type}/{key}              retract one fact
//	DELETE /api/v1/facts/{type}                    retract every fact of a type, one step
//	GET    /api/v1/activations[?program=P]         current activations
//	GET    /api/v1/activations/stream[?program=P]  server-sent events: fire, update, withdraw
//
// They need credentials when Options.Auth is set, like /write and /query.

// Rules is the rule service behind the rules API. *rulestore.Service
// implements it; see there for the semantics. It must be safe for
// concurrent use.
type Rules interface {
	Put(name string, src []byte, opts *rulestore.PutOptions) (*rulestore.PutResult, error)
	Delete(name string) (*rulestore.DeleteResult, error)
	Programs() []*rulestore.ProgramInfo
	Program(name string) (*rulestore.ProgramInfo, error)
	Explain(program, rule, key string) (*rete.Explanation, error)
	Types() []rulestore.TypeInfo
	// Type returns a declared type, which the caller must not modify.
	Type(name string) (*rulelang.TypeInfo, bool)
	ParseFacts(src []byte) ([]rulestore.Change, error)
	Step(changes []rulestore.Change) (*rulestore.StepResult, error)
	Retract(typ, key string) (*rulestore.StepResult, error)
	RetractAll(typ string) (*rulestore.StepResult, error)
	Facts(typ string, limit int) ([]rete.Fact, int, error)
	Activations(program string) ([]rulestore.Activation, error)
	// Subscribe registers fn for every later event; fn must not block.
	Subscribe(fn func(*rulestore.Event)) (cancel func())
	Stats() rulestore.Stats
}

// Limits of the rules API.
const (
	// defaultFactsLimit is the number of facts GET /api/v1/facts/{type}
	// returns without a limit parameter.
	defaultFactsLimit = 1000
	// streamHeartbeat is the interval of the comment lines that keep an
	// idle event stream open through proxies.
	streamHeartbeat = 15 * time.Second
	// streamBuffer is the number of events an event stream client may fall
	// behind before it is dropped.
	streamBuffer = 4096
)

// RuleConfig declares a rule program in a Config: its name and its
// source, given inline or as a file name (relative to the working
// directory). accrete serve puts it at start unless it is stored with the
// same source, so that a restart does not assert its facts again.
//
//	rules:
//	  - name: hr
//	    file: hr.rules
//	  - name: alerts
//	    source: |
//	      type Temp : <sensor: string, c: number>
//	      rule hot : {t: Temp} / t.c > 30 ==> alert(t.sensor, t.c)
type RuleConfig struct {
	Name   string `json:"name" yaml:"name"`
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
	File   string `json:"file,omitempty" yaml:"file,omitempty"`
}

// Load returns the program's source.
func (rc *RuleConfig) Load() ([]byte, error) {
	if rc.File == "" {
		return []byte(rc.Source), nil
	}
	return os.ReadFile(rc.File)
}

// checkRuleConfigs reports the first inconsistency of the rules section.
func checkRuleConfigs(rules []RuleConfig) error {
	seen := map[string]bool{}
	for i, rc := range rules {
		switch {
		case rc.Name == "":
			return fmt.Errorf("rules[%d]: name is empty", i)
		case seen[rc.Name]:
			return fmt.Errorf("rules[%d]: program %q is declared twice", i, rc.Name)
		case (rc.Source == "") == (rc.File == ""):
			return fmt.Errorf("rules[%d]: program %q needs either source or file", i, rc.Name)
		}
		seen[rc.Name] = true
	}
	return nil
}

// rulesRoutes adds the rules API to mux.
func (s *Server) rulesRoutes(mux *http.ServeMux) {
	h := func(name string, f handlerFunc) http.Handler { return s.wrap(name, s.auth(s.needRules(f))) }
	mux.Handle("GET /api/v1/rules", h("rules", s.listPrograms))
	mux.Handle("PUT /api/v1/rules/{name}", h("rules", s.putProgram))
	mux.Handle("GET /api/v1/rules/{name}", h("rules", s.getProgram))
	mux.Handle("DELETE /api/v1/rules/{name}", h("rules", s.deleteProgram))
	mux.Handle("GET /api/v1/rules/{name}/explain", h("rules", s.explain))
	mux.Handle("POST /api/v1/facts", h("facts", s.postFacts))
	mux.Handle("GET /api/v1/facts", h("facts", s.listTypes))
	mux.Handle("GET /api/v1/facts/{type}", h("facts", s.listFacts))
	mux.Handle("DELETE /api/v1/facts/{type}", h("facts", s.retractAll))
	mux.Handle("DELETE /api/v1/facts/{type}/{key}", h("facts", s.retractFact))
	mux.Handle("GET /api/v1/activations", h("activations", s.listActivations))
	mux.Handle("GET /api/v1/activations/stream", s.activationStream(streamHeartbeat, streamBuffer))
}

// needRules answers 503 when the server has no rule service.
func (s *Server) needRules(h handlerFunc) handlerFunc {
	return func(r *http.Request) result {
		if s.opts.Rules == nil {
			return result{err: errNotConfigured}
		}
		return h(r)
	}
}

// rulesErrorStatus maps the errors of the rule service; errorStatus calls
// it. ok is false for other errors.
func rulesErrorStatus(err error) (status int, msg string, ok bool) {
	var (
		diags rulelang.ErrorList
		ferrs rulestore.FactErrors
		inUse *rulestore.FactsInUseError
	)
	switch {
	case errors.As(err, &diags), errors.As(err, &ferrs):
		return http.StatusBadRequest, err.Error(), true
	case errors.As(err, &inUse):
		return http.StatusConflict, err.Error(), true
	case errors.Is(err, rulestore.ErrInvalidName), errors.Is(err, rulestore.ErrBadKey),
		errors.Is(err, rulestore.ErrNoKey), errors.Is(err, rulestore.ErrBadFact),
		errors.Is(err, rulestore.ErrNoChanges):
		return http.StatusBadRequest, err.Error(), true
	case errors.Is(err, rulestore.ErrProgramNotFound), errors.Is(err, rulestore.ErrRuleNotFound),
		errors.Is(err, rulestore.ErrUnknownType), errors.Is(err, rulestore.ErrNoFact),
		errors.Is(err, rete.ErrNoFact), errors.Is(err, rete.ErrUnknownRule):
		return http.StatusNotFound, err.Error(), true
	}
	return 0, "", false
}

// readText reads a request body (see readBody) into a new slice.
func (s *Server) readText(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if err := s.readBody(r, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// putProgram serves PUT /api/v1/rules/{name}: the body is the program's
// source. It answers 400 with every diagnostic as line:col: message, 409
// when the new version would discard stored facts (drop_facts=true allows
// it), and otherwise the program with what the put did.
func (s *Server) putProgram(r *http.Request) result {
	var opts rulestore.PutOptions
	if v := r.URL.Query().Get("drop_facts"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return result{err: badRequest("drop_facts must be true or false, not %q", v)}
		}
		opts.DropFacts = b
	}
	src, err := s.readText(r)
	if err != nil {
		return result{err: err}
	}
	res, err := s.opts.Rules.Put(r.PathValue("name"), src, &opts)
	if err != nil {
		return result{err: err}
	}
	body := putJSON{
		programJSON: newProgramJSON(res.Program),
		Created:     res.Created,
		Asserted:    res.Asserted,
		Retracted:   res.Retracted,
		Dropped:     typeCounts(res.Dropped),
		Events:      eventCountsJSON(res.Events),
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return result{status: status, body: body}
}

func (s *Server) listPrograms(r *http.Request) result {
	progs := s.opts.Rules.Programs()
	out := make([]programJSON, len(progs))
	for i, p := range progs {
		out[i] = newProgramJSON(p)
	}
	return result{body: struct {
		Rules []programJSON `json:"rules"`
	}{out}}
}

func (s *Server) getProgram(r *http.Request) result {
	p, err := s.opts.Rules.Program(r.PathValue("name"))
	if err != nil {
		return result{err: err}
	}
	return result{body: newProgramJSON(p)}
}

func (s *Server) deleteProgram(r *http.Request) result {
	name := r.PathValue("name")
	res, err := s.opts.Rules.Delete(name)
	if err != nil {
		return result{err: err}
	}
	return result{body: struct {
		Deleted string          `json:"deleted"`
		Dropped []typeCountJSON `json:"dropped_facts"`
		Events  eventCountsJSON `json:"events"`
	}{name, typeCounts(res.Dropped), eventCountsJSON(res.Events)}}
}

// explain serves GET /api/v1/rules/{name}/explain?rule=R&key=K.
func (s *Server) explain(r *http.Request) result {
	q := r.URL.Query()
	rule, key := q.Get("rule"), q.Get("key")
	if rule == "" || !q.Has("key") {
		return result{err: badRequest("explain needs the parameters rule and key")}
	}
	x, err := s.opts.Rules.Explain(r.PathValue("name"), rule, key)
	if err != nil {
		return result{err: err}
	}
	return result{body: newExplainJSON(r.PathValue("name"), x)}
}

// postFacts serves POST /api/v1/facts. The body is JSON when the
// Content-Type is application/json or it starts with '{' or '[': one item
// or an array of items {"type": T, "fields": {...}} (assert) and
// {"type": T, "retract": key} (retract by key; for a type without a key
// field, "retract" holds all the fields). Otherwise it is the rule
// language's syntax: facts and retract statements. All of it is one step.
func (s *Server) postFacts(r *http.Request) result {
	body, err := s.readText(r)
	if err != nil {
		return result{err: err}
	}
	var changes []rulestore.Change
	if isJSONBody(r, body) {
		changes, err = decodeJSONFacts(body, s.opts.Rules.Type)
	} else {
		changes, err = s.opts.Rules.ParseFacts(body)
	}
	if err != nil {
		return result{err: err}
	}
	res, err := s.opts.Rules.Step(changes)
	if err != nil {
		return result{err: err}
	}
	return result{body: newStepJSON(res)}
}

// isJSONBody tells JSON bodies from language syntax.
func isJSONBody(r *http.Request, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/json" {
		return true
	}
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

func (s *Server) retractFact(r *http.Request) result {
	res, err := s.opts.Rules.Retract(r.PathValue("type"), r.PathValue("key"))
	if err != nil {
		return result{err: err}
	}
	return result{body: newStepJSON(res)}
}

func (s *Server) retractAll(r *http.Request) result {
	res, err := s.opts.Rules.RetractAll(r.PathValue("type"))
	if errors.Is(err, rulestore.ErrNoChanges) {
		res, err = &rulestore.StepResult{}, nil
	}
	if err != nil {
		return result{err: err}
	}
	return result{body: newStepJSON(res)}
}

func (s *Server) listTypes(r *http.Request) result {
	type fieldJSON struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	type typeJSON struct {
		Name     string      `json:"name"`
		Key      *string     `json:"key"`
		Fields   []fieldJSON `json:"fields"`
		Facts    int         `json:"facts"`
		Programs []string    `json:"programs"`
	}
	types := s.opts.Rules.Types()
	out := make([]typeJSON, len(types))
	for i, t := range types {
		out[i] = typeJSON{Name: t.Name, Facts: t.Facts, Programs: t.Programs}
		if t.Key >= 0 {
			out[i].Key = &t.Fields[t.Key].Name
		}
		for _, f := range t.Fields {
			out[i].Fields = append(out[i].Fields, fieldJSON{f.Name, f.Type.String()})
		}
	}
	return result{body: struct {
		Types []typeJSON `json:"types"`
	}{out}}
}

// listFacts serves GET /api/v1/facts/{type}?limit=N: the first N facts
// (default 1000) in first-assert order, and how many there are.
func (s *Server) listFacts(r *http.Request) result {
	limit := defaultFactsLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return result{err: badRequest("limit must be a positive integer, not %q", v)}
		}
		limit = n
	}
	typ := r.PathValue("type")
	facts, n, err := s.opts.Rules.Facts(typ, limit)
	if err != nil {
		return result{err: err}
	}
	out := make([]factJSON, len(facts))
	for i, f := range facts {
		out[i] = factJSON(f)
	}
	return result{body: struct {
		Type  string     `json:"type"`
		Count int        `json:"count"`
		Facts []factJSON `json:"facts"`
	}{typ, n, out}}
}

func (s *Server) listActivations(r *http.Request) result {
	acts, err := s.opts.Rules.Activations(r.URL.Query().Get("program"))
	if err != nil {
		return result{err: err}
	}
	out := make([]activationJSON, len(acts))
	for i, a := range acts {
		out[i] = activationJSON{Program: a.Program, Rule: a.Rule, Facts: a.Facts, Aggregates: a.Aggregates}
	}
	return result{body: struct {
		Activations []activationJSON `json:"activations"`
	}{out}}
}

// JSON shapes of the rules API.

type programJSON struct {
	Name      string          `json:"name"`
	Updated   time.Time       `json:"updated"`
	RuleCount int             `json:"rule_count"`
	Rules     []ruleJSON      `json:"rules"`
	Types     []typeCountJSON `json:"types"`
	Source    string          `json:"source,omitempty"`
}

type ruleJSON struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Activations int    `json:"activations"`
}

type typeCountJSON struct {
	Name  string `json:"name"`
	Facts int    `json:"facts"`
}

type eventCountsJSON struct {
	Fire     int `json:"fire"`
	Update   int `json:"update"`
	Withdraw int `json:"withdraw"`
}

type putJSON struct {
	programJSON
	Created   bool            `json:"created"`
	Asserted  int             `json:"asserted"`
	Retracted int             `json:"retracted"`
	Dropped   []typeCountJSON `json:"dropped_facts"`
	Events    eventCountsJSON `json:"events"`
}

type stepJSON struct {
	Asserted  int             `json:"asserted"`
	Retracted int             `json:"retracted"`
	Events    eventCountsJSON `json:"events"`
}

func newStepJSON(r *rulestore.StepResult) stepJSON {
	return stepJSON{Asserted: r.Asserted, Retracted: r.Retracted, Events: eventCountsJSON(r.Events)}
}

func newProgramJSON(p *rulestore.ProgramInfo) programJSON {
	out := programJSON{
		Name:      p.Name,
		Updated:   p.Updated.UTC(),
		RuleCount: len(p.Rules),
		Rules:     make([]ruleJSON, len(p.Rules)),
		Types:     typeCounts(p.Types),
		Source:    p.Source,
	}
	for i, r := range p.Rules {
		out.Rules[i] = ruleJSON{Name: r.Name, Kind: r.Kind.String(), Activations: r.Activations}
	}
	return out
}

func typeCounts(tc []rulestore.TypeCount) []typeCountJSON {
	out := make([]typeCountJSON, len(tc))
	for i, t := range tc {
		out[i] = typeCountJSON{Name: t.Type, Facts: t.Facts}
	}
	return out
}

// activationJSON is an activation or an event:
//
//	{"program": "hr", "rule": "dept_avg", "key": "d1",
//	 "facts": [{"type": "Department", "fields": {"id": "d1", "name": "Research"}}],
//	 "values": {"avg_sal": 60000},
//	 "actions": [{"name": "print", "args": ["avg", "d1", 60000]}]}
//
// key is the main fact's key (null for a type without a key field), facts
// the bound facts, values the aggregation variables (empty for join rules
// and withdrawals). Only events have actions (empty for withdrawals).
type activationJSON struct {
	Program    string
	Rule       string
	Facts      []rete.Fact
	Aggregates []rete.Binding
	Actions    []rete.ActionCall
	event      bool
}

func (a activationJSON) MarshalJSON() ([]byte, error) { return a.appendJSON(nil), nil }

func (a *activationJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"program":`...)
	b = appendJSONString(b, a.Program)
	b = append(b, `,"rule":`...)
	b = appendJSONString(b, a.Rule)
	b = append(b, `,"key":`...)
	if len(a.Facts) > 0 && a.Facts[0].Type.Key >= 0 {
		b = appendJSONValue(b, a.Facts[0].Key())
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"facts":[`...)
	for i, f := range a.Facts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFactJSON(b, f)
	}
	b = append(b, `],"values":{`...)
	for i, g := range a.Aggregates {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, g.Name)
		b = append(b, ':')
		b = appendJSONNumber(b, g.Value)
	}
	b = append(b, '}')
	if a.event {
		b = append(b, `,"actions":[`...)
		for i, c := range a.Actions {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, c.Name)
			b = append(b, `,"args":[`...)
			for j, v := range c.Args {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONValue(b, v)
			}
			b = append(b, "]}"...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// factJSON is a fact as {"type": T, "fields": {...}}, the fields in
// declaration order: the shape POST /api/v1/facts takes.
type factJSON rete.Fact

func (f factJSON) MarshalJSON() ([]byte, error) { return appendFactJSON(nil, rete.Fact(f)), nil }

func appendFactJSON(b []byte, f rete.Fact) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, f.Type.Name)
	b = append(b, `,"fields":{`...)
	for i, v := range f.Values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Type.Fields[i].Name)
		b = append(b, ':')
		b = appendJSONValue(b, v)
	}
	return append(b, "}}"...)
}

// appendJSONValue appends a value as a JSON string, number or bool.
func appendJSONValue(b []byte, v rulelang.Value) []byte {
	switch v.Type {
	case rulelang.TypeString:
		return appendJSONString(b, v.Str)
	case rulelang.TypeNumber:
		return appendJSONNumber(b, v.Num)
	case rulelang.TypeBool:
		return strconv.AppendBool(b, v.Bool)
	}
	return append(b, "null"...)
}

// appendJSONNumber appends a number as the rule language prints it, which
// is valid JSON; infinities and NaN, which JSON lacks, become the strings
// "Infinity", "-Infinity" and "NaN".
func appendJSONNumber(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return appendJSONString(b, rete.FormatNumber(f))
	}
	return append(b, rete.FormatNumber(f)...)
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// explainJSON is an explanation: aggregate values (null for AVG, MIN, MAX
// over nothing), the contributing facts per source variable, the
// thresholds with their results, the matching tuples of a join rule, and
// the text accrete run -trace prints.
type explainJSON struct {
	Program    string          `json:"program"`
	Rule       string          `json:"rule"`
	Main       factJSON        `json:"main"`
	Holds      bool            `json:"holds"`
	Aggregates []aggregateJSON `json:"aggregates"`
	Sources    []sourceJSON    `json:"sources"`
	Thresholds []thresholdJSON `json:"thresholds"`
	Tuples     [][]factJSON    `json:"tuples"`
	Text       string          `json:"text"`
}

type aggregateJSON struct {
	Name  string          `json:"name"`
	Expr  string          `json:"expr"`
	Value json.RawMessage `json:"value"`
}

type sourceJSON struct {
	Var   string     `json:"var"`
	Facts []factJSON `json:"facts"`
}

type thresholdJSON struct {
	Cond   string `json:"cond"`
	Result *bool  `json:"result"` // null when an aggregate it uses is null
}

func newExplainJSON(program string, x *rete.Explanation) explainJSON {
	out := explainJSON{
		Program:    program,
		Rule:       x.Rule,
		Main:       factJSON(x.Main),
		Holds:      x.Holds,
		Aggregates: make([]aggregateJSON, len(x.Aggregates)),
		Sources:    make([]sourceJSON, len(x.Sources)),
		Thresholds: make([]thresholdJSON, len(x.Thresholds)),
		Tuples:     make([][]factJSON, len(x.Tuples)),
		Text:       x.String(),
	}
	for i, a := range x.Aggregates {
		v := json.RawMessage("null")
		if !a.Null {
			v = appendJSONNumber(nil, a.Value)
		}
		out.Aggregates[i] = aggregateJSON{Name: a.Name, Expr: a.Expr, Value: v}
	}
	for i, src := range x.Sources {
		out.Sources[i] = sourceJSON{Var: src.Var, Facts: make([]factJSON, len(src.Facts))}
		for j, f := range src.Facts {
			out.Sources[i].Facts[j] = factJSON(f)
		}
	}
	for i, t := range x.Thresholds {
		out.Thresholds[i] = thresholdJSON{Cond: t.Cond}
		if !t.Null {
			out.Thresholds[i].Result = &t.Result
		}
	}
	for i, tuple := range x.Tuples {
		out.Tuples[i] = make([]factJSON, len(tuple))
		for j, f := range tuple {
			out.Tuples[i][j] = factJSON(f)
		}
	}
	return out
}

// jsonFact is one item of a JSON body of POST /api/v1/facts.
type jsonFact struct {
	Type    string                     `json:"type"`
	Fields  map[string]json.RawMessage `json:"fields"`
	Retract json.RawMessage            `json:"retract"`
}

// decodeJSONFacts decodes a JSON body of POST /api/v1/facts against the
// declared types. Every bad item is reported, as facts[i]: message.
func decodeJSONFacts(body []byte, lookup func(string) (*rulelang.TypeInfo, bool)) ([]rulestore.Change, error) {
	var items []jsonFact
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var err error
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) > 0 && b[0] == '[' {
		err = dec.Decode(&items)
	} else {
		var one jsonFact
		err = dec.Decode(&one)
		items = []jsonFact{one}
	}
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err != nil {
		return nil, badRequest("cannot decode the facts: %v", err)
	}
	if len(items) == 0 {
		return nil, rulestore.ErrNoChanges
	}
	var errs rulestore.FactErrors
	changes := make([]rulestore.Change, 0, len(items))
	for i := range items {
		at := "facts[" + strconv.Itoa(i) + "]"
		c, err := items[i].change(lookup)
		if err != nil {
			if errs = append(errs, &rulestore.FactError{At: at, Err: err}); len(errs) == 100 {
				break
			}
			continue
		}
		c.At = at
		changes = append(changes, c)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return changes, nil
}

// change converts an item to a change.
func (it *jsonFact) change(lookup func(string) (*rulelang.TypeInfo, bool)) (rulestore.Change, error) {
	var c rulestore.Change
	if it.Type == "" {
		return c, fmt.Errorf("%w: \"type\" is missing", rulestore.ErrBadFact)
	}
	t, ok := lookup(it.Type)
	if !ok {
		return c, fmt.Errorf("%w %s", rulestore.ErrUnknownType, it.Type)
	}
	switch {
	case it.Fields != nil && it.Retract == nil:
		vals, err := fieldValues(t, it.Fields)
		if err != nil {
			return c, err
		}
		c.Change = rete.Assert(t.Name, vals...)
	case it.Fields == nil && it.Retract != nil && t.Key >= 0:
		f := &t.Fields[t.Key]
		v, err := jsonValue(t, f, it.Retract)
		if err != nil {
			return c, err
		}
		c.Change = rete.Retract(t.Name, v)
	case it.Fields == nil && it.Retract != nil:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(it.Retract, &fields); err != nil || fields == nil {
			return c, fmt.Errorf("%w: %s has no key field: \"retract\" must hold all its fields", rulestore.ErrBadFact, t.Name)
		}
		vals, err := fieldValues(t, fields)
		if err != nil {
			return c, err
		}
		c.Change = rete.Change{Op: rete.OpRetract, Type: t.Name, Values: vals}
	default:
		return c, fmt.Errorf("%w: give \"fields\" to assert a fact or \"retract\" with its key to retract one", rulestore.ErrBadFact)
	}
	return c, nil
}

// fieldValues reads the fields of a fact of t in declaration order. It
// reports one problem: an unknown field (the first by name), else the
// first field in declaration order that is missing or of the wrong type.
func fieldValues(t *rulelang.TypeInfo, fields map[string]json.RawMessage) ([]rulelang.Value, error) {
	vals := make([]rulelang.Value, len(t.Fields))
	var first error
	known := 0
	for i := range t.Fields {
		f := &t.Fields[i]
		raw, ok := fields[f.Name]
		if !ok {
			if first == nil {
				first = fmt.Errorf("%w: fact %s is missing field %s", rulestore.ErrBadFact, t.Name, f.Name)
			}
			continue
		}
		known++
		v, err := jsonValue(t, f, raw)
		if err != nil && first == nil {
			first = err
		}
		vals[i] = v
	}
	if known < len(fields) {
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if t.FieldIndex(name) < 0 {
				return nil, fmt.Errorf("%w: unknown field %s in type %s", rulestore.ErrBadFact, name, t.Name)
			}
		}
	}
	if first != nil {
		return nil, first
	}
	return vals, nil
}

// jsonValue reads a JSON value of field f of t: a string, a number or a
// bool, as the field is declared.
func jsonValue(t *rulelang.TypeInfo, f *rulelang.Field, raw json.RawMessage) (rulelang.Value, error) {
	got := "null"
	switch raw[0] {
	case '"':
		got = "string"
		if f.Type == rulelang.TypeString {
			if s := raw[1 : len(raw)-1]; bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
				return rulelang.StringValue(string(s)), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return rulelang.Value{}, fmt.Errorf("%w: field %s of %s: %v", rulestore.ErrBadFact, f.Name, t.Name, err)
			}
			return rulelang.StringValue(s), nil
		}
	case 't', 'f':
		got = "bool"
		if f.Type == rulelang.TypeBool {
			return rulelang.BoolValue(raw[0] == 't'), nil
		}
	case '{':
		got = "an object"
	case '[':
		got = "an array"
	case 'n':
	default:
		got = "number"
		if f.Type == rulelang.TypeNumber {
			x, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				return rulelang.Value{}, fmt.Errorf("%w: field %s of %s: number %s is out of range", rulestore.ErrBadFact, f.Name, t.Name, raw)
			}
			return rulelang.NumberValue(x), nil
		}
	}
	return rulelang.Value{}, fmt.Errorf("%w: field %s of %s is %s, but the value is %s", rulestore.ErrBadFact, f.Name, t.Name, f.Type, got)
}

// activationStream serves GET /api/v1/activations/stream[?program=P] as
// server-sent events (text/event-stream). Every activation event after
// the request is one message, flushed at once:
//
//	event: fire
//	data: {"program":"hr","rule":"dept_avg","key":"d1","facts":[...],"values":{...},"actions":[...]}
//
// with event fire, update or withdraw and the data described at
// activationJSON. A comment line opens the stream once the subscription
// is in place, and another is sent after every heartbeat of silence. A
// client that falls buffer events behind is dropped: it receives the
// events buffered so far and a final "event: dropped" message, and the
// stream ends. The engine never waits for a client.
func (s *Server) activationStream(heartbeat time.Duration, buffer int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status := s.streamActivations(w, r, heartbeat, buffer)
		s.metrics.observeRequest("activations_stream", status, time.Since(start))
	})
}

func (s *Server) streamActivations(w http.ResponseWriter, r *http.Request, heartbeat time.Duration, buffer int) int {
	check := s.auth(s.needRules(func(*http.Request) result { return result{} }))
	if res := check(r); res.err != nil {
		return s.writeError(w, r, "activations_stream", res.err)
	}
	program := r.URL.Query().Get("program")
	if program != "" {
		if _, err := s.opts.Rules.Program(program); err != nil {
			return s.writeError(w, r, "activations_stream", err)
		}
	}
	c := &streamClient{ch: make(chan *rulestore.Event, buffer), overflow: make(chan struct{}), program: program}
	cancel := s.opts.Rules.Subscribe(c.push)
	defer cancel()

	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(b []byte) error {
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if send([]byte(": accrete activation events\n\n")) != nil {
		return http.StatusOK
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	var buf []byte
	for {
		select {
		case ev := <-c.ch:
			buf = appendEventMessage(buf[:0], ev)
			if send(buf) != nil {
				return http.StatusOK
			}
			tick.Reset(heartbeat)
		case <-c.overflow:
			// Send what was buffered before the drop, then say so, without
			// waiting long on a client that is not reading.
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			for len(c.ch) > 0 {
				buf = appendEventMessage(buf[:0], <-c.ch)
				if _, err := w.Write(buf); err != nil {
					return http.StatusOK
				}
			}
			send([]byte(fmt.Sprintf("event: dropped\ndata: {\"reason\":\"the client fell more than %d events behind\"}\n\n", buffer)))
			return http.StatusOK
		case <-tick.C:
			if send([]byte(": heartbeat\n\n")) != nil {
				return http.StatusOK
			}
		case <-r.Context().Done():
			return http.StatusOK
		case <-s.streams.closed():
			return http.StatusOK
		}
	}
}

// appendEventMessage appends an event as one server-sent events message.
func appendEventMessage(b []byte, ev *rulestore.Event) []byte {
	b = append(b, "event: "...)
	b = append(b, ev.Kind.String()...)
	b = append(b, "\ndata: "...)
	a := activationJSON{Program: ev.Program, Rule: ev.Rule, Facts: ev.Facts, Aggregates: ev.Aggregates, Actions: ev.Actions, event: true}
	b = a.appendJSON(b)
	return append(b, "\n\n"...)
}

// streamClient is the subscription of one event stream.
type streamClient struct {
	program  string                // only events of this program, unless empty
	ch       chan *rulestore.Event // buffered events
	overflow chan struct{}         // closed when an event did not fit
	// dropped is set once overflow is closed. push runs with the rule
	// service's lock held, which serializes it.
	dropped bool
}

// push buffers an event without ever blocking: a client whose buffer is
// full is dropped.
func (c *streamClient) push(ev *rulestore.Event) {
	if c.dropped || (c.program != "" && ev.Program != c.program) {
		return
	}
	select {
	case c.ch <- ev:
	default:
		c.dropped = true
		close(c.overflow)
	}
}

// streamSet ends the event streams when the server shuts down. The zero
// value is ready to use.
type streamSet struct {
	once      sync.Once
	closeOnce sync.Once
	done      chan struct{}
}

// closed returns a channel closed at shutdown.
func (ss *streamSet) closed() chan struct{} {
	ss.once.Do(func() { ss.done = make(chan struct{}) })
	return ss.done
}

// close ends every stream.
func (ss *streamSet) close() {
	ss.closeOnce.Do(func() { close(ss.closed()) })
}

// rulesCollector exports the rule service's statistics, read once per
// scrape.
type rulesCollector struct {
	rules                       Rules
	facts, activations, actions *prometheus.Desc
	steps                       *prometheus.Desc
}

func newRulesCollector(rules Rules) *rulesCollector {
	return &rulesCollector{
		rules:       rules,
		facts:       prometheus.NewDesc("accrete_rules_facts", "Facts stored per fact type.", []string{"type"}, nil),
		activations: prometheus.NewDesc("accrete_rules_activations", "Current activations per program and rule.", []string{"program", "rule"}, nil),
		actions:     prometheus.NewDesc("accrete_rules_actions_total", "Actions run by fires and updates since start, per program, rule and action.", []string{"program", "rule", "action"}, nil),
		steps:       prometheus.NewDesc("accrete_rules_step_duration_seconds", "Time to check, store and apply one step of facts and deliver its events.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *rulesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.facts
	ch <- c.activations
	ch <- c.actions
	ch <- c.steps
}

// Collect implements prometheus.Collector.
func (c *rulesCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.rules.Stats()
	for _, t := range st.Facts {
		ch <- prometheus.MustNewConstMetric(c.facts, prometheus.GaugeValue, float64(t.Facts), t.Type)
	}
	for _, r := range st.Activations {
		ch <- prometheus.MustNewConstMetric(c.activations, prometheus.GaugeValue, float64(r.Activations), r.Program, r.Rule)
	}
	for _, a := range st.Actions {
		ch <- prometheus.MustNewConstMetric(c.actions, prometheus.CounterValue, float64(a.Calls), a.Program, a.Rule, a.Action)
	}
	buckets := make(map[float64]uint64, len(st.StepBuckets))
	for _, b := range st.StepBuckets {
		buckets[b.UpperBound] = b.Steps
	}
	ch <- prometheus.MustNewConstHistogram(c.steps, st.Steps, st.StepSeconds, buckets)
}
