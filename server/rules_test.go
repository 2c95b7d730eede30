package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/internal/ruleexample"
	"github.com/accretedb/accrete/rulestore"
	"github.com/accretedb/accrete/storage"
)

// rulesServer is a Server with a rule service over a real database,
// listening on 127.0.0.1.
type rulesServer struct {
	t      testing.TB
	dir    string
	db     *accrete.DB
	rules  *rulestore.Service
	srv    *Server
	url    string
	served chan error
}

// startRulesServer opens (or reopens) the database in dir and serves it.
func startRulesServer(t testing.TB, dir string, durability storage.Durability) *rulesServer {
	t.Helper()
	db, err := accrete.Open(dir, &accrete.Options{Storage: storage.Options{Durability: durability}})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := rulestore.Open(db, nil)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	rs := &rulesServer{t: t, dir: dir, db: db, rules: rules, url: "http://" + ln.Addr().String(), served: make(chan error, 1)}
	rs.srv = New(&Options{Writer: db, Stats: db, Rules: rules})
	go func() { rs.served <- rs.srv.Serve(ln) }()
	t.Cleanup(rs.stop)
	return rs
}

// stop shuts the server down and closes the database; it may be called
// more than once.
func (rs *rulesServer) stop() {
	if rs.db == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rs.srv.Shutdown(ctx); err != nil {
		rs.t.Errorf("shutdown: %v", err)
	}
	if err := <-rs.served; err != nil {
		rs.t.Errorf("serve: %v", err)
	}
	if err := rs.db.Close(); err != nil {
		rs.t.Errorf("close: %v", err)
	}
	rs.db = nil
}

// do sends a request and returns the status and body.
func (rs *rulesServer) do(method, path, contentType, body string) (int, string) {
	rs.t.Helper()
	req, err := http.NewRequest(method, rs.url+path, strings.NewReader(body))
	if err != nil {
		rs.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rs.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rs.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// expect sends a request and checks the status and the exact body.
func (rs *rulesServer) expect(method, path, contentType, body string, wantStatus int, wantBody string) {
	rs.t.Helper()
	status, got := rs.do(method, path, contentType, body)
	if status != wantStatus || got != wantBody {
		rs.t.Errorf("%s %s: %d\n%s\nwant %d\n%s", method, path, status, got, wantStatus, wantBody)
	}
}

// eventStream is an open GET /api/v1/activations/stream.
type eventStream struct {
	t    testing.TB
	resp *http.Response
	msgs chan string // "event: kind\ndata: json", ": comment" for comments
}

// openStream opens the event stream and waits for its opening comment,
// after which the subscription is in place.
func (rs *rulesServer) openStream(query string) *eventStream {
	rs.t.Helper()
	resp, err := http.Get(rs.url + "/api/v1/activations/stream" + query)
	if err != nil {
		rs.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		rs.t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	es := &eventStream{t: rs.t, resp: resp, msgs: make(chan string, 1024)}
	go es.read()
	rs.t.Cleanup(func() { resp.Body.Close() })
	if m := es.next(); m != ": accrete activation events" {
		rs.t.Fatalf("stream opened with %q", m)
	}
	return es
}

// read splits the stream into messages until it ends, then closes msgs.
func (es *eventStream) read() {
	defer close(es.msgs)
	sc := bufio.NewScanner(es.resp.Body)
	sc.Buffer(nil, 1<<20)
	var msg []string
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			msg = append(msg, line)
			continue
		}
		if len(msg) > 0 {
			es.msgs <- strings.Join(msg, "\n")
			msg = nil
		}
	}
}

// next returns the next message; "EOF" when the stream ended.
func (es *eventStream) next() string {
	es.t.Helper()
	select {
	case m, ok := <-es.msgs:
		if !ok {
			return "EOF"
		}
		return m
	case <-time.After(10 * time.Second):
		es.t.Fatal("no event within 10s")
		return ""
	}
}

// expect checks the next messages, skipping heartbeats.
func (es *eventStream) expect(want ...string) {
	es.t.Helper()
	for _, w := range want {
		m := es.next()
		for m == ": heartbeat" {
			m = es.next()
		}
		if m != w {
			es.t.Fatalf("event:\n%s\nwant:\n%s", m, w)
		}
	}
}

// quiet checks that no message arrives within d.
func (es *eventStream) quiet(d time.Duration) {
	es.t.Helper()
	select {
	case m := <-es.msgs:
		es.t.Fatalf("unexpected message %q", m)
	case <-time.After(d):
	}
}

// metricLines returns the lines of /metrics starting with prefix.
func (rs *rulesServer) metricLines(prefix string) string {
	rs.t.Helper()
	_, body := rs.do("GET", "/metrics", "", "")
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

const (
	fireD1 = `event: fire
data: {"program":"hr","rule":"dept_combined_metric","key":"d1","facts":[{"type":"Department","fields":{"id":"d1","name":"Research"}}],"values":{"avg_sal":60000,"avg_score":80},"actions":[{"name":"print","args":["dept","d1",60000,80]}]}`
	fireD2 = `event: fire
data: {"program":"hr","rule":"dept_combined_metric","key":"d2","facts":[{"type":"Department","fields":{"id":"d2","name":"Sales"}}],"values":{"avg_sal":30000,"avg_score":95},"actions":[{"name":"print","args":["dept","d2",30000,95]}]}`
)

func TestRulesEndToEnd(t *testing.T) {
	rs := startRulesServer(t, t.TempDir(), storage.DurabilityEveryWrite)
	es := rs.openStream("")

	status, body := rs.do("PUT", "/api/v1/rules/hr", "text/plain", ruleexample.Program)
	want := `{"name":"hr","updated":"`
	if status != 201 || !strings.HasPrefix(body, want) {
		t.Fatalf("put: %d %s", status, body)
	}
	wantTail := `","rule_count":1,"rules":[{"name":"dept_combined_metric","kind":"aggregation","activations":2}],` +
		`"types":[{"name":"Department","facts":3},{"name":"Employee","facts":4},{"name":"Performance","facts":4}],` +
		`"source":` + jsonQuote(ruleexample.Program) + `,"created":true,"asserted":11,"retracted":0,"dropped_facts":[],"events":{"fire":2,"update":0,"withdraw":0}}` + "\n"
	if _, tail, _ := strings.Cut(body[len(want):], `"`); `"`+tail != wantTail {
		t.Errorf("put body:\n%s\nwant tail:\n%s", body, wantTail)
	}
	es.expect(fireD1, fireD2)

	// The last three statements of EXAMPLES §1 as one step.
	rs.expect("POST", "/api/v1/facts", "text/plain", `retract Employee(id: "e3")
Performance(id: "p5", employeeId: "e2", score: 100)
Employee(id: "e4", deptId: "d1", salary: 30000)`,
		200, `{"asserted":2,"retracted":1,"events":{"fire":0,"update":1,"withdraw":1}}`+"\n")
	es.expect(`event: update
data: {"program":"hr","rule":"dept_combined_metric","key":"d1","facts":[{"type":"Department","fields":{"id":"d1","name":"Research"}}],"values":{"avg_sal":43333.333333333336,"avg_score":87},"actions":[{"name":"print","args":["dept","d1",43333.333333333336,87]}]}`,
		`event: withdraw
data: {"program":"hr","rule":"dept_combined_metric","key":"d2","facts":[{"type":"Department","fields":{"id":"d2","name":"Sales"}}],"values":{},"actions":[]}`)

	// JSON facts: one array, one step: d3 gets an employee with a review.
	rs.expect("POST", "/api/v1/facts", "application/json", `[
  {"type": "Employee", "fields": {"id": "e5", "deptId": "d3", "salary": 1e5}},
  {"type": "Performance", "fields": {"score": 60, "employeeId": "e5", "id": "p6"}}
]`, 200, `{"asserted":2,"retracted":0,"events":{"fire":1,"update":0,"withdraw":0}}`+"\n")
	es.expect(`event: fire
data: {"program":"hr","rule":"dept_combined_metric","key":"d3","facts":[{"type":"Department","fields":{"id":"d3","name":"Empty"}}],"values":{"avg_sal":100000,"avg_score":60},"actions":[{"name":"print","args":["dept","d3",100000,60]}]}`)

	rs.expect("GET", "/api/v1/activations", "", "", 200, `{"activations":[`+
		`{"program":"hr","rule":"dept_combined_metric","key":"d1","facts":[{"type":"Department","fields":{"id":"d1","name":"Research"}}],"values":{"avg_sal":43333.333333333336,"avg_score":87}},`+
		`{"program":"hr","rule":"dept_combined_metric","key":"d3","facts":[{"type":"Department","fields":{"id":"d3","name":"Empty"}}],"values":{"avg_sal":100000,"avg_score":60}}]}`+"\n")
	rs.expect("GET", "/api/v1/activations?program=nope", "", "", 404, `{"error":"program not found: nope"}`+"\n")

	rs.expect("GET", "/api/v1/rules/hr/explain?rule=dept_combined_metric&key=d3", "", "", 200,
		`{"program":"hr","rule":"dept_combined_metric","main":{"type":"Department","fields":{"id":"d3","name":"Empty"}},"holds":true,`+
			`"aggregates":[{"name":"avg_sal","expr":"AVG(e.salary)","value":100000},{"name":"avg_score","expr":"AVG(p.score)","value":60}],`+
			`"sources":[{"var":"e","facts":[{"type":"Employee","fields":{"id":"e5","deptId":"d3","salary":100000}}]},{"var":"p","facts":[{"type":"Performance","fields":{"id":"p6","employeeId":"e5","score":60}}]}],`+
			`"thresholds":[],"tuples":[],"text":"dept_combined_metric \"d3\": holds\n  avg_sal = AVG(e.salary) = 100000\n  avg_score = AVG(p.score) = 60\n  e: Employee(id: \"e5\", deptId: \"d3\", salary: 100000)\n  p: Performance(id: \"p6\", employeeId: \"e5\", score: 60)\n"}`+"\n")
	rs.expect("GET", "/api/v1/rules/hr/explain?rule=nope&key=d3", "", "", 404, `{"error":"rule not found: program hr has no rule \"nope\""}`+"\n")
	rs.expect("GET", "/api/v1/rules/hr/explain?rule=dept_combined_metric&key=d9", "", "", 404, `{"error":"explain dept_combined_metric: Department with key \"d9\": no such fact"}`+"\n")

	rs.expect("GET", "/api/v1/facts/Employee?limit=2", "", "", 200,
		`{"type":"Employee","count":4,"facts":[{"type":"Employee","fields":{"id":"e1","deptId":"d1","salary":60000}},{"type":"Employee","fields":{"id":"e2","deptId":"d1","salary":40000}}]}`+"\n")
	rs.expect("GET", "/api/v1/facts", "", "", 200, `{"types":[`+
		`{"name":"Department","key":"id","fields":[{"name":"id","type":"string"},{"name":"name","type":"string"}],"facts":3,"programs":["hr"]},`+
		`{"name":"Employee","key":"id","fields":[{"name":"id","type":"string"},{"name":"deptId","type":"string"},{"name":"salary","type":"number"}],"facts":4,"programs":["hr"]},`+
		`{"name":"Performance","key":"id","fields":[{"name":"id","type":"string"},{"name":"employeeId","type":"string"},{"name":"score","type":"number"}],"facts":6,"programs":["hr"]}]}`+"\n")

	// Retract by type and key: d3 loses its employee and its activation.
	rs.expect("DELETE", "/api/v1/facts/Employee/e5", "", "", 200, `{"asserted":0,"retracted":1,"events":{"fire":0,"update":0,"withdraw":1}}`+"\n")
	es.expect(`event: withdraw
data: {"program":"hr","rule":"dept_combined_metric","key":"d3","facts":[{"type":"Department","fields":{"id":"d3","name":"Empty"}}],"values":{},"actions":[]}`)
	rs.expect("DELETE", "/api/v1/facts/Employee/e5", "", "", 404, `{"error":"retract of Employee \"e5\": no such fact"}`+"\n")

	if got, want := rs.metricLines("accrete_rules_"), `accrete_rules_actions_total{action="print",program="hr",rule="dept_combined_metric"} 4
accrete_rules_activations{program="hr",rule="dept_combined_metric"} 1`; !strings.HasPrefix(got, want) {
		t.Errorf("metrics:\n%s\nwant prefix:\n%s", got, want)
	}
	for _, w := range []string{
		`accrete_rules_facts{type="Department"} 3`,
		`accrete_rules_facts{type="Employee"} 3`,
		`accrete_rules_facts{type="Performance"} 6`,
		`accrete_rules_step_duration_seconds_count 3`,
		`accrete_rules_step_duration_seconds_bucket{le="+Inf"} 3`,
	} {
		if got := rs.metricLines(w); got != w {
			t.Errorf("metrics: no line %s", w)
		}
	}

	status, body = rs.do("GET", "/api/v1/rules", "", "")
	if status != 200 || !strings.Contains(body, `"rule_count":1,"rules":[{"name":"dept_combined_metric","kind":"aggregation","activations":1}],"types":[{"name":"Department","facts":3},{"name":"Employee","facts":3},{"name":"Performance","facts":6}]}]}`) || strings.Contains(body, "source") {
		t.Errorf("list: %d %s", status, body)
	}
	rs.expect("DELETE", "/api/v1/rules/hr", "", "", 200,
		`{"deleted":"hr","dropped_facts":[{"name":"Department","facts":3},{"name":"Employee","facts":3},{"name":"Performance","facts":6}],"events":{"fire":0,"update":0,"withdraw":1}}`+"\n")
	es.expect(`event: withdraw
data: {"program":"hr","rule":"dept_combined_metric","key":"d1","facts":[{"type":"Department","fields":{"id":"d1","name":"Research"}}],"values":{},"actions":[]}`)
	rs.expect("GET", "/api/v1/rules/hr", "", "", 404, `{"error":"program not found: hr"}`+"\n")
	rs.expect("GET", "/api/v1/facts", "", "", 200, `{"types":[]}`+"\n")
}

// jsonQuote quotes s as appendJSONString does.
func jsonQuote(s string) string { return string(appendJSONString(nil, s)) }

// alertProgram fires a named action per department whose average salary
// is over 50000.
const alertProgram = `type Department : <id: string>
type Employee : <id: string, deptId: string, salary: number>
rule rich : {d: Department, avg_sal: AVG(e.salary)} / {e: Employee} / e.deptId == d.id AND avg_sal > 50000
  ==> alert(d.id, avg_sal)
`

func TestRulesRestartRunsNoAction(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	rs := startRulesServer(t, dir, storage.DurabilityEveryWrite)
	status, body := rs.do("PUT", "/api/v1/rules/alerts", "", alertProgram)
	if want := rs.putBody(t, "alerts"); status != 201 || body != want {
		t.Errorf("put: %d\n%s\nwant:\n%s", status, body, want)
	}
	rs.expect("POST", "/api/v1/facts", "", `Department(id: "d1") Department(id: "d2")
Employee(id: "e1", deptId: "d1", salary: 60000)
Employee(id: "e2", deptId: "d2", salary: 70000)
Employee(id: "e3", deptId: "d2", salary: 10000)
retract Employee(id: "e3")`, 200, `{"asserted":5,"retracted":1,"events":{"fire":2,"update":0,"withdraw":0}}`+"\n")
	_, activations := rs.do("GET", "/api/v1/activations", "", "")
	wantActs := `{"activations":[` +
		`{"program":"alerts","rule":"rich","key":"d1","facts":[{"type":"Department","fields":{"id":"d1"}}],"values":{"avg_sal":60000}},` +
		`{"program":"alerts","rule":"rich","key":"d2","facts":[{"type":"Department","fields":{"id":"d2"}}],"values":{"avg_sal":70000}}]}` + "\n"
	if activations != wantActs {
		t.Fatalf("activations:\n%s\nwant:\n%s", activations, wantActs)
	}
	rs.stop()

	rs = startRulesServer(t, dir, storage.DurabilityEveryWrite)
	es := rs.openStream("?program=alerts")
	rs.expect("GET", "/api/v1/activations", "", "", 200, wantActs)
	if got := rs.metricLines("accrete_rules_actions_total"); got != "" {
		t.Errorf("actions after restart: %s", got)
	}
	if got, want := rs.metricLines("accrete_rules_activations"), `accrete_rules_activations{program="alerts",rule="rich"} 2`; got != want {
		t.Errorf("activations metric: %s, want %s", got, want)
	}
	// The same facts again change nothing; e3 comes back to d2 (its key
	// keeps its place): one update, the first event since the restart.
	rs.expect("POST", "/api/v1/facts", "", `Employee(id: "e1", deptId: "d1", salary: 60000)`, 200,
		`{"asserted":1,"retracted":0,"events":{"fire":0,"update":0,"withdraw":0}}`+"\n")
	rs.expect("POST", "/api/v1/facts", "", `Employee(id: "e3", deptId: "d2", salary: 40000)`, 200,
		`{"asserted":1,"retracted":0,"events":{"fire":0,"update":1,"withdraw":0}}`+"\n")
	es.expect(`event: update
data: {"program":"alerts","rule":"rich","key":"d2","facts":[{"type":"Department","fields":{"id":"d2"}}],"values":{"avg_sal":55000},"actions":[{"name":"alert","args":["d2",55000]}]}`)
	if got, want := rs.metricLines("accrete_rules_actions_total"), `accrete_rules_actions_total{action="alert",program="alerts",rule="rich"} 1`; got != want {
		t.Errorf("actions: %s, want %s", got, want)
	}
	rs.expect("GET", "/api/v1/facts/Employee", "", "", 200, `{"type":"Employee","count":3,"facts":[`+
		`{"type":"Employee","fields":{"id":"e1","deptId":"d1","salary":60000}},`+
		`{"type":"Employee","fields":{"id":"e2","deptId":"d2","salary":70000}},`+
		`{"type":"Employee","fields":{"id":"e3","deptId":"d2","salary":40000}}]}`+"\n")
}

// putBody is the body of a PUT that created a program with no facts of
// its own, over the server's current facts.
func (rs *rulesServer) putBody(t *testing.T, name string) string {
	p, err := rs.rules.Program(name)
	if err != nil {
		return fmt.Sprintf("(program %s not stored: %v)", name, err)
	}
	b, err := marshal(putJSON{programJSON: newProgramJSON(p), Created: true, Dropped: []typeCountJSON{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRulesBadInputChangesNothing(t *testing.T) {
	rs := startRulesServer(t, t.TempDir(), storage.DurabilityEveryWrite)
	rs.do("PUT", "/api/v1/rules/hr", "", ruleexample.Program)
	es := rs.openStream("")
	_, before := rs.do("GET", "/api/v1/rules/hr", "", "")
	_, factsBefore := rs.do("GET", "/api/v1/facts/Employee", "", "")
	unchanged := func() {
		t.Helper()
		if _, after := rs.do("GET", "/api/v1/rules/hr", "", ""); after != before {
			t.Errorf("program changed:\n%s", after)
		}
		if _, after := rs.do("GET", "/api/v1/facts/Employee", "", ""); after != factsBefore {
			t.Errorf("facts changed:\n%s", after)
		}
	}

	// Programs: every diagnostic, line:col: message.
	rs.expect("PUT", "/api/v1/rules/hr", "", "type A : <id: string>\nA(id: 1\nrule r : {a: A} / a.x > 1 ==> p(a.id)\n", 400,
		`{"error":"3:1: expected ',' or ')', found keyword rule"}`+"\n")
	rs.expect("PUT", "/api/v1/rules/hr", "", "type A : <id: strin>\nrule r : {a: B} / a.x > 1 ==> p(a.id)\n", 400,
		`{"error":"1:15: unknown field type strin (want string, number or bool)\n2:14: unknown type B"}`+"\n")
	rs.expect("PUT", "/api/v1/rules/other", "", "type Employee : <id: string>\n", 400,
		`{"error":"1:6: type Employee is declared differently by program hr: type Employee : \u003c#id: string, deptId: string, salary: number\u003e"}`+"\n")
	rs.expect("PUT", "/api/v1/rules/hr", "", "type X : <id: string>\n", 409,
		`{"error":"program hr: type Department has 3 facts and the new version no longer declares it; type Employee has 4 facts and the new version no longer declares it; type Performance has 4 facts and the new version no longer declares it (retract those facts first, or allow dropping them)"}`+"\n")
	rs.expect("PUT", "/api/v1/rules/a%2Fb", "", ruleexample.Program, 400,
		`{"error":"invalid program name \"a/b\": use 1 to 128 letters, digits, '_', '-' and '.', not starting with '.'"}`+"\n")
	unchanged()

	// Facts in the language's syntax.
	rs.expect("POST", "/api/v1/facts", "", "Employee(id: \"e9\", deptId: \"d1\", salary: \"high\")\nretract Employee(id: \"e77\")\nNope(id: 1)\n", 400,
		`{"error":"1:42: field salary of Employee is number, but the value is string\n3:1: unknown type Nope"}`+"\n")
	rs.expect("POST", "/api/v1/facts", "", "Employee(id: \"e9\", deptId: \"d1\", salary: 1)\nretract Employee(id: \"e77\")\n", 400,
		`{"error":"2:1: retract of Employee \"e77\": no such fact"}`+"\n")
	rs.expect("POST", "/api/v1/facts", "", "rule r : {e: Employee} ==> p(e.id)\n", 400,
		`{"error":"1:1: only facts and retractions can be posted; types and rules belong in a program"}`+"\n")
	rs.expect("POST", "/api/v1/facts", "", "", 400, `{"error":"no facts or retractions given"}`+"\n")

	// JSON facts: every bad item, by index and field.
	rs.expect("POST", "/api/v1/facts", "application/json", `[
  {"type": "Employee", "fields": {"id": "e9", "deptId": "d1", "salary": 1}},
  {"type": "Employee", "fields": {"id": "e10", "deptId": "d1", "salary": "high"}},
  {"type": "Employee", "fields": {"id": "e11", "deptId": "d1"}},
  {"type": "Employee", "fields": {"id": "e12", "deptId": "d1", "salary": 1, "age": 3}},
  {"type": "Nope", "fields": {}},
  {"type": "Employee", "retract": 7},
  {"type": "Employee", "fields": {"id": "e13", "deptId": null, "salary": 1e999}},
  {"fields": {}},
  {"type": "Employee"}
]`, 400, `{"error":"facts[1]: bad fact: field salary of Employee is number, but the value is string\n`+
		`facts[2]: bad fact: fact Employee is missing field salary\n`+
		`facts[3]: bad fact: unknown field age in type Employee\n`+
		`facts[4]: unknown type Nope\n`+
		`facts[5]: bad fact: field id of Employee is string, but the value is number\n`+
		`facts[6]: bad fact: field deptId of Employee is string, but the value is null\n`+
		`facts[7]: bad fact: \"type\" is missing\n`+
		`facts[8]: bad fact: give \"fields\" to assert a fact or \"retract\" with its key to retract one"}`+"\n")
	rs.expect("POST", "/api/v1/facts", "application/json", `[{"type": "Employee", "retract": "e77"}, {"type": "Employee", "retract": "e1"}, {"type": "Employee", "retract": "e1"}]`, 400,
		`{"error":"facts[0]: retract of Employee \"e77\": no such fact\nfacts[2]: retract of Employee \"e1\": no such fact"}`+"\n")
	rs.expect("POST", "/api/v1/facts", "", `{"type": "Employee", "field": {}}`, 400,
		`{"error":"cannot decode the facts: json: unknown field \"field\""}`+"\n")
	rs.expect("POST", "/api/v1/facts", "", `[{"type": "Employee"`, 400,
		`{"error":"cannot decode the facts: unexpected EOF"}`+"\n")
	rs.expect("DELETE", "/api/v1/facts/Nope/x", "", "", 404, `{"error":"unknown type Nope"}`+"\n")
	rs.expect("GET", "/api/v1/facts/Employee?limit=-1", "", "", 400, `{"error":"limit must be a positive integer, not \"-1\""}`+"\n")
	unchanged()
	es.quiet(100 * time.Millisecond)
}

func TestRulesNotConfigured(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, path := range []string{"/api/v1/rules", "/api/v1/facts", "/api/v1/activations", "/api/v1/activations/stream"} {
		if code, body, _ := ts.do(t, "GET", path, nil); code != 503 || body != `{"error":"not configured"}`+"\n" {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
}

func TestRulesAuth(t *testing.T) {
	db, err := accrete.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rules, err := rulestore.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(&Options{Rules: rules, Auth: &Auth{Users: map[string]string{"u": "pw"}}})
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/rules", 401},
		{"GET", "/api/v1/rules?u=u&p=pw", 200},
		{"PUT", "/api/v1/rules/x", 401},
		{"GET", "/api/v1/activations/stream", 401},
		{"GET", "/api/v1/activations/stream?u=u&p=bad", 401},
	} {
		req, _ := http.NewRequest(c.method, c.path, nil)
		rec := newRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.status != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.status, c.status)
		}
	}
}

// recorder is a minimal http.ResponseWriter for handlers that finish.
type recorder struct {
	hdr    http.Header
	status int
	body   strings.Builder
}

func newRecorder() *recorder                    { return &recorder{hdr: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.hdr }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func TestStreamClientDrop(t *testing.T) {
	c := &streamClient{ch: make(chan *rulestore.Event, 2), overflow: make(chan struct{})}
	for i := 0; i < 3; i++ {
		c.push(&rulestore.Event{Program: fmt.Sprint(i)})
	}
	if !c.dropped || len(c.ch) != 2 {
		t.Fatalf("dropped %v, buffered %d", c.dropped, len(c.ch))
	}
	select {
	case <-c.overflow:
	default:
		t.Fatal("overflow not signalled")
	}
	c.push(&rulestore.Event{Program: "late"}) // ignored, does not panic
	if len(c.ch) != 2 {
		t.Fatalf("buffered %d after the drop", len(c.ch))
	}
}

// TestStreamSlowClientDropped floods a stream whose client does not read:
// the steps finish without waiting for it, and when it reads, it finds
// the events buffered before the drop followed by the final event.
func TestStreamSlowClientDropped(t *testing.T) {
	rs := startRulesServer(t, t.TempDir(), storage.DurabilityNone)
	rs.do("PUT", "/api/v1/rules/big", "", "type T : <id: number, v: number>\nrule r : {t: T} / t.v > 0 ==> hit(t.id, \"padding to make every event a little longer than it would be\")\n")

	addr := rs.serveStream(time.Hour, 8)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/stream", nil)
	req.Close = true
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != ": accrete activation events\n" {
		t.Fatalf("first line %q, %v", line, err)
	}

	// 20 steps of 1000 facts, each firing 1000 events, while the client
	// reads nothing.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := 0; s < 20; s++ {
			var b strings.Builder
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(&b, "T(id: %d, v: 1)\n", s*1000+i)
			}
			if status, body := rs.do("POST", "/api/v1/facts", "", b.String()); status != 200 {
				t.Errorf("post: %d %s", status, body)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("steps blocked on a client that does not read")
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	rest, err := io.ReadAll(br)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v", err)
	}
	events := strings.Count(string(rest), "event: fire")
	if !strings.Contains(string(rest), "event: dropped\ndata: {\"reason\":\"the client fell more than 8 events behind\"}\n\n") {
		t.Fatalf("no final dropped event after %d events; tail %q", events, tail(string(rest), 300))
	}
	if events == 0 || events >= 20000 {
		t.Errorf("%d events before the drop", events)
	}
}

// serveStream serves the activation stream of rs's server, with the
// given heartbeat interval and client buffer, at GET /stream on a server
// of its own on 127.0.0.1 until the test ends, and returns its address.
func (rs *rulesServer) serveStream(heartbeat time.Duration, buffer int) string {
	rs.t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /stream", rs.srv.activationStream(heartbeat, buffer))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		rs.t.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	rs.t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestStreamHeartbeatAndShutdown(t *testing.T) {
	rs := startRulesServer(t, t.TempDir(), storage.DurabilityEveryWrite)
	resp, err := http.Get("http://" + rs.serveStream(20*time.Millisecond, 8) + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	es := &eventStream{t: t, resp: resp, msgs: make(chan string, 16)}
	go es.read()
	for _, want := range []string{": accrete activation events", ": heartbeat", ": heartbeat"} {
		if m := es.next(); m != want {
			t.Fatalf("message %q, want %q", m, want)
		}
	}

	// Shutdown of the rules server ends its streams at once.
	es2 := rs.openStream("")
	start := time.Now()
	rs.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with an open stream", d)
	}
	if m := es2.next(); m != "EOF" {
		t.Errorf("stream after shutdown: %q", m)
	}
}

// BenchmarkFactsHTTP posts batches of 1,000 facts to a server on
// 127.0.0.1 running the two-source rule of the rules benchmark (set b:
// AVG(e.salary) > 60000 AND AVG(p.score) > 50 over Department ← Employee ←
// Performance), storing every batch with durability every_write (the
// default: an fsync per batch) and periodic (a process crash loses nothing,
// the write-ahead log is synced every 100ms). 100 departments come first; then
// each employee (assigned to the departments round robin) is followed by
// its 4 performance records.
func BenchmarkFactsHTTP(b *testing.B) {
	const prog = `type Department : <id: string, name: string>
type Employee : <id: string, deptId: string, salary: number>
type Performance : <id: string, employeeId: string, score: number>
rule dept_b : {d: Department, avg_sal: AVG(e.salary), avg_score: AVG(p.score)}
  / {e: Employee} / {p: Performance}
  / e.deptId == d.id AND p.employeeId == e.id AND avg_sal > 60000 AND avg_score > 50
  ==> alert(d.id, avg_sal, avg_score)
`
	for _, c := range []struct {
		format     string
		durability storage.Durability
	}{
		{"rules", storage.DurabilityEveryWrite},
		{"json", storage.DurabilityEveryWrite},
		{"rules", storage.DurabilityPeriodic},
		{"json", storage.DurabilityPeriodic},
	} {
		format := c.format
		b.Run(format+"/"+c.durability.String(), func(b *testing.B) {
			rs := startRulesServer(b, b.TempDir(), c.durability)
			if status, body := rs.do("PUT", "/api/v1/rules/bench", "", prog); status != 201 {
				b.Fatalf("put: %d %s", status, body)
			}

			bodies := make([][]byte, b.N)
			g := &benchFacts{format: format}
			for i := range bodies {
				bodies[i] = g.batch(1000)
			}
			ctype := "text/plain"
			if format == "json" {
				ctype = "application/json"
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := http.Post(rs.url+"/api/v1/facts", ctype, strings.NewReader(string(bodies[i])))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("post: %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "facts/s")
		})
	}
}

// benchFacts generates the facts of BenchmarkFactsHTTP.
type benchFacts struct {
	format string
	n      int // facts generated so far
	emp    int // employees generated so far
	perf   int // performance records of the current employee
}

const benchDepts = 100

func (g *benchFacts) batch(size int) []byte {
	var b strings.Builder
	if g.format == "json" {
		b.WriteByte('[')
	}
	for i := 0; i < size; i++ {
		if g.format == "json" && i > 0 {
			b.WriteByte(',')
		}
		g.next(&b)
	}
	if g.format == "json" {
		b.WriteByte(']')
	}
	return []byte(b.String())
}

func (g *benchFacts) next(b *strings.Builder) {
	defer func() { g.n++ }()
	json := g.format == "json"
	switch {
	case g.n < benchDepts:
		if json {
			fmt.Fprintf(b, `{"type":"Department","fields":{"id":"d%d","name":"dept %d"}}`, g.n, g.n)
		} else {
			fmt.Fprintf(b, "Department(id: \"d%d\", name: \"dept %d\")\n", g.n, g.n)
		}
	case g.perf == 0:
		e := g.emp
		salary := 40000 + (e*7919)%50000
		if json {
			fmt.Fprintf(b, `{"type":"Employee","fields":{"id":"e%d","deptId":"d%d","salary":%d}}`, e, e%benchDepts, salary)
		} else {
			fmt.Fprintf(b, "Employee(id: \"e%d\", deptId: \"d%d\", salary: %d)\n", e, e%benchDepts, salary)
		}
		g.perf = 1
	default:
		e := g.emp
		score := (e*31 + g.perf*17) % 100
		if json {
			fmt.Fprintf(b, `{"type":"Performance","fields":{"id":"p%d_%d","employeeId":"e%d","score":%d}}`, e, g.perf, e, score)
		} else {
			fmt.Fprintf(b, "Performance(id: \"p%d_%d\", employeeId: \"e%d\", score: %d)\n", e, g.perf, e, score)
		}
		if g.perf++; g.perf > 4 {
			g.perf, g.emp = 0, g.emp+1
		}
	}
}

func TestRuleConfig(t *testing.T) {
	c, err := ParseConfig([]byte(`rules:
  - name: inline
    source: |
      type T : <id: string>
  - name: fromfile
    file: x.rules
`), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []RuleConfig{{Name: "inline", Source: "type T : <id: string>\n"}, {Name: "fromfile", File: "x.rules"}}
	if len(c.Rules) != 2 || c.Rules[0] != want[0] || c.Rules[1] != want[1] {
		t.Errorf("rules: %+v", c.Rules)
	}
	if src, err := c.Rules[0].Load(); err != nil || string(src) != want[0].Source {
		t.Errorf("load: %q %v", src, err)
	}
	for _, bad := range []struct{ cfg, msg string }{
		{`{"rules": [{"name": "a", "source": "x", "file": "y"}]}`, `rules[0]: program "a" needs either source or file`},
		{`{"rules": [{"name": "a"}]}`, `rules[0]: program "a" needs either source or file`},
		{`{"rules": [{"source": "x"}]}`, `rules[0]: name is empty`},
		{`{"rules": [{"name": "a", "source": "x"}, {"name": "a", "file": "y"}]}`, `rules[1]: program "a" is declared twice`},
	} {
		if _, err := ParseConfig([]byte(bad.cfg), true); err == nil || err.Error() != bad.msg {
			t.Errorf("%s: %v, want %s", bad.cfg, err, bad.msg)
		}
	}
}
