// Package auth makes and checks onair's credentials: password hashes, API
// keys, refresh tokens, signed idTokens and the failure limiter in front of
// them. It holds no storage and speaks no HTTP: the store keeps the hashes this
// package produces, and the API turns a request's credentials into a
// domain.Principal with the functions here.
//
// Secrets that a client presents (API key values, refresh tokens, stream keys)
// are looked up by HashSecret and never stored themselves. Passwords, which a
// person chooses and may reuse, are hashed with bcrypt instead.
package auth
