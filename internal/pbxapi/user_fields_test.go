package pbxapi

import (
	"reflect"
	"strings"
	"testing"
)

// TestUserStringFieldsCoverEveryScalar ties pbxapi.User's fields to stringFields, the table that
// decodes a search record: a scalar field added to the struct and forgotten there would decode as
// "" from every record, and the provider would plan it back on every run.
func TestUserStringFieldsCoverEveryScalar(t *testing.T) {
	var u User
	table := u.stringFields()
	byAddr := map[*string]string{}
	for key, p := range table {
		byAddr[p] = key
	}
	v := reflect.ValueOf(&u).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Type.Kind() != reflect.String {
			continue
		}
		key, ok := byAddr[v.Field(i).Addr().Interface().(*string)]
		if !ok {
			t.Errorf("pbxapi.User.%s is missing from (*User).stringFields: records would never fill it", f.Name)
			continue
		}
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag != "-" && tag != key {
			t.Errorf("pbxapi.User.%s is sent as %q but decoded from %q", f.Name, tag, key)
		}
	}
}
