// Command pbxmock serves the mock Simotel PBX users API and 2N directory API of package
// mockpbx on a loopback address, for demos and scripts.
//
//	pbxmock -addr 127.0.0.1:0 -addr-file /tmp/pbxmock.url -seed seed.json
//
// It logs one line per request to stderr (method, path, status, duration; never bodies or
// credentials) and stops cleanly on SIGINT or SIGTERM.
//
//	pbxmock call URL METHOD ROUTE [JSON]
//
// sends one request to the control API of a running mock and prints the reply, e.g.
// pbxmock call http://127.0.0.1:41234 PATCH users/number:201 '{"name":"Alice (edited)"}'.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pbx-iac/terraform-provider-pbx/internal/mockpbx"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "call" {
		err = call(os.Args[2:], os.Stdout)
	} else {
		err = run(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pbxmock:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, addrFile             string
	username, password, apiKey string
	authMode                   string
	dirAuth, dirUser, dirPass  string
	seed                       string
	control, revealSecrets     bool
	tlsCert, tlsKey            string
	readings                   mockpbx.Readings
	dirHTTPSOnly               bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("pbxmock", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address; the host must be a loopback address (port 0 picks a free port)")
	fs.StringVar(&o.addrFile, "addr-file", "", "after listening, write the base URL (e.g. http://127.0.0.1:41234) to this file")
	fs.StringVar(&o.username, "username", "admin", "Simotel API account: Basic username")
	fs.StringVar(&o.password, "password", "admin", "Simotel API account: Basic password")
	fs.StringVar(&o.apiKey, "api-key", "demo-api-key", "Simotel API account: X-APIKEY token")
	fs.StringVar(&o.authMode, "auth-mode", "both", "Simotel API account mode: basic, token or both")
	fs.StringVar(&o.dirAuth, "dir-auth", "digest", "2N directory authentication: none, basic or digest")
	fs.StringVar(&o.dirUser, "dir-username", "", "2N directory username (default: -username)")
	fs.StringVar(&o.dirPass, "dir-password", "", "2N directory password (default: -password)")
	fs.StringVar(&o.seed, "seed", "", `JSON file {"users":[…],"directory":[…]} loaded at start`)
	fs.BoolVar(&o.control, "control", true, "serve the /_mock/ control API")
	fs.BoolVar(&o.revealSecrets, "reveal-secrets", false, "users/search returns secrets in clear (old firmware)")
	fs.Func("reading", "answer one place where the sources disagree another way, name=value (repeatable): "+
		"add_reply=id|record|status|null-id, user_methods=post|v3|any, query_iterator=gt|ge, "+
		"query_empty=both|timestamp|users, foreign_series=empty|all, grouped=bool|string (design/api/README.md)", o.readings.Set)
	fs.BoolVar(&o.dirHTTPSOnly, "dir-https-only", false, "the 2N HTTP API requires HTTPS: plain-HTTP directory requests get error code 7")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM); needs -tls-key")
	fs.StringVar(&o.tlsKey, "tls-key", "", "private key (PEM) for -tls-cert")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return o, errors.New("-tls-cert and -tls-key go together")
	}
	return o, nil
}

// config builds the mockpbx configuration from the flags and the seed file.
func (o options) config() (mockpbx.Config, error) {
	cfg := mockpbx.Config{
		Accounts: []mockpbx.Account{{
			Username: o.username,
			Password: o.password,
			APIKey:   o.apiKey,
			Mode:     o.authMode,
		}},
		DirAuth:       o.dirAuth,
		DirUsername:   o.dirUser,
		DirPassword:   o.dirPass,
		Control:       o.control,
		RevealSecrets: o.revealSecrets,
		Readings:      o.readings,
		DirHTTPSOnly:  o.dirHTTPSOnly,
	}
	if o.seed == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(o.seed)
	if err != nil {
		return cfg, err
	}
	var seed struct {
		Users     []map[string]any `json:"users"`
		Directory []map[string]any `json:"directory"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		return cfg, fmt.Errorf("seed %s: %w", o.seed, err)
	}
	cfg.Users, cfg.Directory = seed.Users, seed.Directory
	return cfg, nil
}

// listenLoopback listens on addr after checking that its host is a loopback address.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("refusing to listen on %q: the mock has well-known credentials, use a loopback host such as 127.0.0.1", addr)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return nil, fmt.Errorf("refusing to listen on %s: not a loopback address", ln.Addr())
	}
	return ln, nil
}

// writeFileAtomic writes data to a temporary file next to path and renames it, so readers
// polling for path never see a partial URL.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pbxmock-addr-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	mock, err := mockpbx.New(cfg)
	if err != nil {
		return err
	}
	ln, err := listenLoopback(o.addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	if o.addrFile != "" {
		if err := writeFileAtomic(o.addrFile, []byte(url+"\n")); err != nil {
			_ = ln.Close()
			return err
		}
	}

	logger := log.New(os.Stderr, "pbxmock: ", log.LstdFlags)
	srv := &http.Server{
		Handler:           logRequests(logger, mock),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			served <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			served <- srv.Serve(ln)
		}
	}()
	logger.Printf("serving %s (Simotel %s/api/v4/, 2N %s/api/dir/, control %v)", url, url, url, o.control)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if o.addrFile != "" {
		_ = os.Remove(o.addrFile)
	}
	return err
}

// call sends one request to the control API of the mock at args[0] and prints the reply.
func call(args []string, out io.Writer) error {
	if len(args) != 3 && len(args) != 4 {
		return errors.New("usage: pbxmock call URL METHOD ROUTE [JSON]")
	}
	var body any
	if len(args) == 4 {
		if !json.Valid([]byte(args[3])) {
			return fmt.Errorf("the body %q is not JSON", args[3])
		}
		body = json.RawMessage(args[3])
	}
	var reply json.RawMessage
	if err := (mockpbx.Client{URL: args[0]}).Call(context.Background(), args[1], args[2], body, &reply); err != nil {
		return err
	}
	if len(reply) > 0 {
		_, err := fmt.Fprintf(out, "%s\n", reply)
		return err
	}
	return nil
}

// statusRecorder remembers the status a handler wrote; Unwrap keeps Hijack available to
// the mock's dropped-connection faults.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs method, path, status and duration of every request; "-" as the status
// means the connection was dropped without a reply.
func logRequests(logger *log.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			status := "-"
			if rec.status != 0 {
				status = fmt.Sprint(rec.status)
			}
			logger.Printf("%s %s %s %s", r.Method, r.URL.Path, status, time.Since(start).Round(time.Millisecond))
		}()
		next.ServeHTTP(rec, r)
	})
}
