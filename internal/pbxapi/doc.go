// Package pbxapi is the HTTP client for the two APIs the PBX provider speaks:
//
//   - the Simotel PBX API v4 users endpoints (pbx/users/add, search, update,
//     remove) with Basic and/or X-APIKEY authentication and the
//     {"success":1|0,"message","data"} envelope;
//   - the 2N IP intercom directory API (api/dir/get, …) with None, Basic or
//     Digest authentication and the {"success":true,"result"} envelope.
//
// It has no Terraform dependencies, so it can be used and tested on its own.
// Every call takes a context; failures are returned as *APIError (device or
// HTTP errors, with operation, endpoint, status, device code and message) or
// as transport errors, and a missing user or directory entry matches
// ErrNotFound with errors.Is.
//
// Requests are retried by one policy for the whole client: 429, 502, 503,
// 504 and connection errors, with capped exponential backoff, jitter and
// Retry-After. A non-idempotent users/add is never blindly repeated after an
// ambiguous failure: the client first looks the number up and adopts the user
// only if it matches what was sent.
//
// # Directory authentication
//
// A 2N intercom is set, per service, to None, Basic or Digest (the default).
// With credentials and no explicit setting (auto), the client answers the
// challenge of the intercom's first 401 and remembers the scheme for the life
// of the Client:
//
//   - Digest whenever the intercom offers it, also beside Basic;
//   - Basic over HTTPS;
//   - Basic over plain HTTP never: the password would travel in clear, and a
//     forged challenge could ask for exactly that. directory.auth = "basic"
//     allows it explicitly.
//
// Anything the client will not or cannot answer is a *DirectoryAuthError
// that says what the intercom asked for and how to proceed, never a
// transport error. An explicit "digest" never falls back to Basic; an
// explicit "basic" sends Basic with every request and answers Digest if the
// intercom asks for it (stronger, never weaker).
package pbxapi
