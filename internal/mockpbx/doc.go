// Package mockpbx is an in-memory stand-in for the two devices the provider talks to: the
// Simotel PBX users API (/api/v4/pbx/users/{add,search,update,remove}) and the 2N intercom
// directory API (/api/dir/{get,query,create,update,delete,template}). It implements the
// contract in design/api/README.md; where the contract and the original product pages are
// silent it does what the real device most plausibly does. Those choices are listed here.
//
// A Server is an http.Handler: tests mount it on httptest.NewServer, the pbxmock command on
// a loopback listener. All state sits behind one mutex.
//
// # Simotel users API: choices where the contract is silent
//
//   - Check order: credentials (401), known action (501), method (405 with Allow: POST, or
//     the v3 verbs with Readings.UserMethods),
//     account permission (403), Content-Type (415), JSON object body (400). A body that is
//     valid JSON but not an object is "Unable to parse content" too.
//   - "BasicAuth or ApiKey is missing" only when neither Authorization nor X-APIKEY is
//     sent; any other credential that satisfies no account (wrong, or the wrong kind for the
//     account's mode) is "…is invalid". The first account the request satisfies is used.
//     Account.Allowed entries may be written with or without the leading slash. The 401 carries
//     no WWW-Authenticate header.
//   - Business errors are HTTP 200 {"success":0,"message":…,"data":""}. A body over 1 MiB is
//     "Unable to parse content".
//   - Required fields are checked first (name, number, secret: absent, null or ""), then
//     every field in record order; the first failure is reported. Invalid values read
//     "Field 'nat':value 'maybe' is invalid"; an unknown forward_policy key reads
//     "Field 'forward_policy':key 'Foo' is invalid", a bad destination
//     "Field 'forward_policy.Busy':value 'x' is invalid". JSON numbers are accepted for every
//     string field and kept in their JSON spelling; booleans, objects and arrays are invalid.
//     Strings are case-sensitive ("sip" is not a user_type). An empty string is invalid for
//     every enumerated or yes/no field (it is not "use the default").
//   - Only the listed rules are enforced: number digits, port 1–65535, call_limit "" or
//     digits, deny/permit a dotted IPv4 address and a contiguous dotted netmask,
//     forward_policy destinations "" or digits with + * #. cid_number, context, host,
//     callgroup, pickupgroup, email and more_options are free text.
//   - update: "_id" absent, null or "" is "Field '_id':value is missing"; a non-string,
//     malformed or unknown _id is "Requested operation failed". The _id is checked before the
//     body. _id matching is case-insensitive (MongoDB parses either case).
//   - update keeps description, queues and the mapped operator and refreshes date; a secret
//     of "******" is stored as sent (the device does not treat the mask as "unchanged").
//   - date is the Jalali calendar date and time in Tehran (UTC+03:30, no daylight saving
//     since 2022), set on add, update and panel edits.
//   - _id values are MongoDB ObjectIds: creation time, a per-server random value and a
//     counter, so an id is never reused within a Server.
//   - search: "status" absent means all, other values than all/mapped are invalid; "alike"
//     absent means false and also accepts 1/0 and "true"/"false"/"1"/"0". A user is "mapped"
//     only when a seed or the control API set its "mapped" value (the mock has no phones);
//     conditions.mapped matches that value. Non-string conditions other than numbers are
//     invalid. Ties in number order are broken by _id. mapped is never part of a search record.
//   - IAX2 users' records keep every field; only SIP records omit trunk and transfer.
//   - users/add answers data:{"_id"} (Readings.AddReply selects the other documented shapes);
//     search masks the secret unless RevealSecrets.
//   - There is no ping endpoint and no IP allow-list.
//   - Seed users are validated like users/add; their _id (24 hex), description, date,
//     queues and mapped are kept when given, other unknown keys are dropped.
//
// # 2N directory API: choices where the contract is silent
//
//   - Check order: known function (2), connection type (7, with Config.DirHTTPSOnly and
//     plain HTTP), service disabled (4, Config.DirDisabled), function not in this model (1,
//     Config.DirUnsupported), authentication (8, 9), privilege (10, Config.DirNoPrivilege),
//     method (3), body (11–14). Unknown paths under /api/ (except /api/v4/) are code 2, also
//     /api/dir/validate. Every directory error is HTTP 200 except 8 and 9 (401). Codes 15,
//     17, 18 and 19 have no documented trigger in the directory functions and are never sent.
//   - Injected status faults (FaultRule.Rate) on the directory answer with a plain-text
//     body, as a web server or proxy would: the directory itself never reports an error
//     with an error status.
//   - Authentication failures are HTTP 401 with a fresh challenge. A request with the wrong
//     scheme (Basic on a Digest device, Digest on a Basic device) gets code 8, so a client
//     that tried Basic first can switch; no or wrong credentials get code 9.
//   - Digest: one challenge, algorithm=MD5, qop="auth", a per-server opaque, and only the
//     answer it asks for (MD5, qop=auth, the opaque sent back; another algorithm or no qop
//     is code 9). A nonce is valid for 5 minutes; every nonce-count may be used once per
//     nonce, in any order (concurrent requests of one client can overtake each other). A
//     correct answer with an expired, unknown or replayed nonce gets stale=true. The uri
//     parameter must equal the request URI.
//   - The default realm is "2N Intercom"; the default directory credentials are those of
//     Accounts[0].
//   - Body: JSON in the body (any Content-Type; not 2N's multipart blob-json). An empty
//     body is {}. Unparsable or non-object JSON is code 12
//     without "param"; a body over 16 MiB is code 13.
//   - MaxGetUUIDs (default 1000) limits users[] of get, create, update and delete (code 13,
//     param "users"). fields, iterator, series, force and owner of the wrong type are code
//     12 with that param.
//   - Per-entry errors carry only "code"; an entry with several problems lists each distinct
//     code once. Failed entries echo the uuid as sent (omitted when none was sent);
//     successful ones carry the stored uppercase uuid.
//   - Field selection: an index into an array of scalars ("access.code[1]") selects the
//     whole array; positions of callPos/accessPoints that were not selected come back as {}.
//     With fields omitted, arrays of objects keep all positions (all-default ones as {}) and
//     arrays of scalars come back whole when any element differs from its default.
//   - Writes: string fields take JSON strings only; booleans take true/false or
//     "true"/"false"; validFrom/validTo take a non-negative integer or decimal string and
//     are stored canonical ("0042" becomes "42"). A longer array than the model's is
//     EDIR_FIELD_VALUE_ERROR; null inside an array leaves that position unchanged. uuid,
//     deleted and timestamp in an entry are ignored (so a get result can be written back).
//     name must not contain < > /, treepath < >, pin and each code are "" or 2–15 digits.
//   - Every successful update bumps the timestamp, even when nothing changed; a failed entry
//     keeps its timestamp. create with force overwrites (fields not sent reset to defaults).
//   - delete: users[] wins over owner; owner "" counts as absent (no mass delete of unowned
//     entries); neither is code 11, while "users":[] is an empty result. Deleting by owner
//     returns the entries in timestamp order.
//   - query: iterator.timestamp is strict (>); a series that differs from the device's
//     (including "") returns the device's series, its highest timestamp and no entries, as
//     2N documents it. result carries series, timestamp (the highest issued in the series, 0
//     when none) and users. Config.Readings selects the other documented readings (>=, the
//     empty reply's shape, every entry for another series).
//   - create checks capacity before applying anything: when the live entries plus the
//     entries that would be new exceed Capacity, the whole request is code 14. Deleted entries
//     occupy slots; the oldest ones are purged to make room.
//   - Seed entries are validated like dir/create and get timestamps 1..n in the given order.
//   - The series is a random uint64 (from RandSeed); a reset never reuses the current one.
//
// # Control API (only with Config.Control; otherwise /_mock/ is a 404)
//
//	GET    /_mock/users                  every user, full record, secret in clear, by number
//	POST   /_mock/users                  create a user like the web panel (validated like
//	                                     users/add; _id kept if given); 201 + record, 400
//	PATCH  /_mock/users/{id}             merge fields like a web-panel edit (strings only,
//	                                     forward_policy per key); 200 + record, 404 if unknown
//	DELETE /_mock/users/{id}             204, 404 if unknown
//	                                     ({id}: an _id, or number:NNN for the user with NNN)
//	GET    /_mock/directory              {"series","timestamp","entries":[…incl. deleted…]}
//	PUT    /_mock/directory/{uuid}       merge fields (validated like dir/update), create or
//	                                     revive, new timestamp; 200 + entry, 400 if invalid
//	POST   /_mock/directory/{uuid}/touch new timestamp only; 404 if missing or deleted
//	DELETE /_mock/directory/{uuid}       soft delete, new timestamp; 200 + entry, 404 if
//	                                     missing or already deleted
//	POST   /_mock/directory/reset        {"keep_entries":bool} → {"series":"…"}
//	GET    /_mock/faults                 {"rules":[…]} with the triggers left in count
//	PUT    /_mock/faults                 {"rules":[FaultRule…]} replaces all rules; 204, 400
//	DELETE /_mock/faults                 204
//	GET    /_mock/requests               {"users/add":n,…,"dir/template":n}, 401s not included
//	GET    /_mock/challenges             {"users/add":n,…}: the requests answered 401
//	DELETE /_mock/requests               204 (both counts)
//	POST   /_mock/reset                  wipe users and directory (new series), clear faults
//	                                     and counts; 204
//
// Errors are {"error":"…"} with 400, 404 or 405. Client calls these routes from another
// process; tests holding the Server call its methods (Users, UserByNumber, PatchUser,
// PutDirectoryEntry, SetFaults, RequestCounts, …). FaultRule documents the fault semantics.
// Requests are counted per endpoint on arrival (faulted ones included); a request answered
// 401 (a directory authentication challenge, a Simotel credential rejection) is counted apart,
// as a challenge, so that tests can assert exact read counts whatever Digest costs. Requests
// to unknown paths are neither counted nor faulted.
package mockpbx
