package provider

import (
	"maps"
	"testing"
)

// TestQuietLogs: the SDK's and the provider's log levels are set to OFF only
// when no TF_LOG* variable is set and the provider does not run in debug
// mode; otherwise nothing is set.
func TestQuietLogs(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_PBX": "OFF"}
	tests := []struct {
		name    string
		debug   bool
		environ []string
		want    map[string]string
	}{
		{"no logging asked", false, []string{"PATH=/bin", "TF_CLI_CONFIG_FILE=x"}, off},
		{"TF_LOG empty", false, []string{"TF_LOG="}, off},
		{"TF_LOG", false, []string{"TF_LOG=debug"}, nil},
		{"TF_LOG_PROVIDER", false, []string{"TF_LOG_PROVIDER=trace"}, nil},
		{"an SDK level", false, []string{"TF_LOG_SDK_FRAMEWORK=trace"}, nil},
		{"the provider's level", false, []string{"TF_LOG_PROVIDER_PBX=info"}, nil},
		{"lower case", false, []string{"tf_log=trace"}, nil},
		{"TF_LOG_PATH alone", false, []string{"TF_LOG_PATH=/tmp/tf.log"}, nil},
		{"debug mode", true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{}
			quieted := quietLogs(tt.debug, tt.environ, func(k, v string) error { set[k] = v; return nil })
			if tt.want == nil {
				tt.want = map[string]string{}
			}
			if !maps.Equal(set, tt.want) || quieted != (len(tt.want) > 0) {
				t.Errorf("quietLogs set %v (reported %t), want %v", set, quieted, tt.want)
			}
		})
	}
}
