package mockpbx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// object is a JSON object that keeps its keys in insertion order, so replies read like the
// devices' (uuid first, timestamp last; the Simotel record order of the documentation).
type object []member

type member struct {
	key   string
	value any
}

// MarshalJSON encodes the members in order, without HTML escaping.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping and without the trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// writeJSON writes v as the whole response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errBodyTooBig reports a request body over the size limit.
var errBodyTooBig = errors.New("request body too big")

// decodeJSON parses exactly one JSON value from data, keeping numbers as json.Number.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// readLimited reads at most limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errBodyTooBig
	}
	return data, nil
}

// scalarString renders a JSON string or number as a string; ok is false for other types.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	}
	return "", false
}

// display renders any decoded JSON value for an error message.
func display(v any) string {
	if s, ok := scalarString(v); ok {
		return s
	}
	b, err := marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// deepCopy copies a decoded JSON tree (maps, slices and scalars).
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return cloneMap(t)
	case []any:
		return cloneSlice(t)
	}
	return v
}

// cloneMap deep-copies a JSON object.
func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = deepCopy(x)
	}
	return out
}

// cloneSlice deep-copies a JSON array.
func cloneSlice(a []any) []any {
	out := make([]any, len(a))
	for i, x := range a {
		out[i] = deepCopy(x)
	}
	return out
}

// normalizeJSON turns any JSON-encodable Go value into the decoded form the handlers use
// (map[string]any, []any, json.Number, string, bool).
func normalizeJSON(v any) (any, error) {
	data, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeJSON(data)
}
