package mockpbx

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Readings selects how the mock answers where the sources disagree (the places
// design/api/reference.md marks [CONFLICT]; design/api/README.md lists each
// reading with its source). The zero value is the contract's default reading
// everywhere. Config.RevealSecrets is the reading of the masked or clear
// secret.
type Readings struct {
	// AddReply is the shape of a successful users/add reply:
	//   "id" (default): {"success":1,…,"data":{"_id":…}}, the other v4 add
	//     endpoints captured in 2023 [SRC S5];
	//   "record": data is the whole stored user with its _id, the 2021 v4
	//     docs [SRC S3];
	//   "status": {"status":"success","message":"User created successfully",
	//     "user_id":"<number>"}, the current docs [SRC S1]: no _id at all;
	//   "null-id": "data":{"_id":null}, as blacklist add shows [SRC S5].
	AddReply string `json:"add_reply,omitempty"`
	// UserMethods are the HTTP methods of the users actions:
	//   "post" (default): POST for every action, the v4 docs [SRC S1, S6];
	//   "v3": add POST, search GET, update PUT, remove DELETE only, the 2021
	//     client [SRC S7];
	//   "any": both.
	// A method the reading does not accept gets 405 with an Allow header.
	UserMethods string `json:"user_methods,omitempty"`
	// QueryIterator is dir/query's iterator: "gt" (default) lists entries
	// with a timestamp greater than it, the current docs [SRC T1]; "ge"
	// greater or equal, the older docs [SRC T1].
	QueryIterator string `json:"query_iterator,omitempty"`
	// QueryEmpty is the shape of a dir/query result that lists nothing:
	//   "both" (default): series, timestamp and users [] (reference §3.18);
	//   "timestamp": series and timestamp, no users key [SRC T1 "returns its
	//     series and the highest timestamp"];
	//   "users": series and users [], never a timestamp (any result).
	QueryEmpty string `json:"query_empty,omitempty"`
	// ForeignSeries is how dir/query answers a series other than the
	// device's: "empty" (default) with the device's series, its highest
	// timestamp and no entries, as 2N documents it [SRC T1]; "all" with every
	// entry, the old contract's reading.
	ForeignSeries string `json:"foreign_series,omitempty"`
	// Grouped is how callPos[].grouped is returned: "bool" (default), the
	// template of 2N's harness [SRC T4]; "string" ("true"/"false"), the seed
	// page [SEED].
	Grouped string `json:"grouped,omitempty"`
}

// readingChoices lists the accepted values of each reading, the default first.
var readingChoices = []struct {
	name    string
	choices []string
	field   func(*Readings) *string
}{
	{"add_reply", []string{"id", "record", "status", "null-id"}, func(r *Readings) *string { return &r.AddReply }},
	{"user_methods", []string{"post", "v3", "any"}, func(r *Readings) *string { return &r.UserMethods }},
	{"query_iterator", []string{"gt", "ge"}, func(r *Readings) *string { return &r.QueryIterator }},
	{"query_empty", []string{"both", "timestamp", "users"}, func(r *Readings) *string { return &r.QueryEmpty }},
	{"foreign_series", []string{"empty", "all"}, func(r *Readings) *string { return &r.ForeignSeries }},
	{"grouped", []string{"bool", "string"}, func(r *Readings) *string { return &r.Grouped }},
}

// normalize fills the defaults and rejects unknown values.
func (r *Readings) normalize() error {
	for _, c := range readingChoices {
		p := c.field(r)
		if *p == "" {
			*p = c.choices[0]
		}
		if !slices.Contains(c.choices, *p) {
			return fmt.Errorf("reading %s %q is not one of %s", c.name, *p, strings.Join(c.choices, ", "))
		}
	}
	return nil
}

// Set sets one reading by its name ("add_reply=record"); the pbxmock command
// uses it for its -reading flag.
func (r *Readings) Set(assignment string) error {
	name, value, ok := strings.Cut(assignment, "=")
	if !ok {
		return fmt.Errorf("reading %q is not name=value", assignment)
	}
	for _, c := range readingChoices {
		if c.name == strings.TrimSpace(name) {
			*c.field(r) = strings.TrimSpace(value)
			return nil
		}
	}
	names := make([]string, len(readingChoices))
	for i, c := range readingChoices {
		names[i] = c.name
	}
	sort.Strings(names)
	return fmt.Errorf("unknown reading %q: use one of %s", name, strings.Join(names, ", "))
}

// v3Methods are the REST verbs of the v3 users API [SRC S3, S7].
var v3Methods = map[string]string{
	"users/add":    http.MethodPost,
	"users/search": http.MethodGet,
	"users/update": http.MethodPut,
	"users/remove": http.MethodDelete,
}

// userMethods returns the methods a users endpoint accepts under the reading.
func (r *Readings) userMethods(endpoint string) []string {
	switch r.UserMethods {
	case "v3":
		return []string{v3Methods[endpoint]}
	case "any":
		if m := v3Methods[endpoint]; m != http.MethodPost {
			return []string{http.MethodPost, m}
		}
	}
	return []string{http.MethodPost}
}

// addReply renders a successful users/add under the reading.
func (r *Readings) addReply(u *user, revealSecret bool) any {
	switch r.AddReply {
	case "record":
		return envelope{Success: 1, Message: msgDone, Data: u.record(revealSecret)}
	case "status":
		return object{{"status", "success"}, {"message", "User created successfully"}, {"user_id", u.values["number"]}}
	case "null-id":
		return envelope{Success: 1, Message: msgDone, Data: object{{"_id", nil}}}
	}
	return envelope{Success: 1, Message: msgDone, Data: object{{"_id", u.id}}}
}

// groupedAsStrings rewrites callPos[].grouped of a rendered entry to "true"/"false".
func groupedAsStrings(v any) any {
	o, ok := v.(object)
	if !ok {
		return v
	}
	for _, m := range o {
		if m.key != "callPos" {
			continue
		}
		positions, _ := m.value.([]any)
		for _, p := range positions {
			pos, _ := p.(object)
			for i := range pos {
				if b, ok := pos[i].value.(bool); ok && pos[i].key == "grouped" {
					pos[i].value = fmt.Sprint(b)
				}
			}
		}
	}
	return o
}
