package domain

import (
	"net/url"
	"slices"
	"strings"
)

// Mask stands in for a credential wherever onair shows a blueprint: API answers,
// the console, the CLI. Credentials are write-only: sent back masked (or left
// out), they keep their stored value.
const Mask = "********"

// Masked returns b with its credentials masked: each destination setting's
// streamName and passwordParam, and what its URL carries besides the server
// (see MaskURL). b itself is left as it is.
func (b Blueprint) Masked() Blueprint {
	b.Settings.Destinations = slices.Clone(b.Settings.Destinations)
	for i := range b.Settings.Destinations {
		d := &b.Settings.Destinations[i]
		d.Settings = slices.Clone(d.Settings)
		for j := range d.Settings {
			s := &d.Settings[j]
			s.URL = MaskURL(s.URL)
			s.StreamName = maskValue(s.StreamName)
			s.PasswordParam = maskValue(s.PasswordParam)
		}
	}
	return b
}

func maskValue(v string) string {
	if v == "" {
		return ""
	}
	return Mask
}

// MaskURL masks the credentials a URL may carry: the userinfo's password (or
// the whole userinfo when it is a lone token), every query value, the
// fragment, and in an RTMP URL the stream name, which is the path after the
// application (rtmp://host/app/<key>). The rest is kept byte for byte, so that
// a URL without credentials comes back as it was sent. It works on the text,
// so that even a URL that does not parse shows no credential.
func MaskURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, _, hasPassword := strings.Cut(authority[:at], ":")
		if hasPassword {
			authority = user + ":" + Mask + authority[at:]
		} else {
			authority = Mask + authority[at:]
		}
	}
	tail, fragment, hasFragment := strings.Cut(tail, "#")
	path, query, hasQuery := strings.Cut(tail, "?")
	if s := strings.ToLower(scheme); strings.HasPrefix(s, "rtmp") {
		if app, key, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/"); ok && key != "" {
			path = "/" + app + "/" + Mask
		}
	}
	out := scheme + "://" + authority + path
	if hasQuery {
		params := strings.Split(query, "&")
		for i, p := range params {
			if name, value, ok := strings.Cut(p, "="); ok && value != "" {
				params[i] = name + "=" + Mask
			} else if !ok && p != "" {
				params[i] = Mask
			}
		}
		out += "?" + strings.Join(params, "&")
	}
	if hasFragment {
		out += "#" + maskValue(fragment)
	}
	return out
}

// KeepSecrets completes b, a blueprint a user sent, with the credentials it
// leaves out or sends masked, taken from stored: the blueprints it replaces or
// was copied from, in order of preference (nil ones are skipped). A
// destination setting is matched by its destination's id and its position,
// and it takes a stored credential only while its URL names the same server
// (scheme and host), so that an edit never sends a credential to a server it
// was not given for. A masked value that nothing fills is a *ValidationError
// naming it, with paths under prefix; nothing masked is ever stored.
func KeepSecrets(prefix string, b *Blueprint, stored ...*Blueprint) error {
	p := &problems{}
	for i := range b.Settings.Destinations {
		d := &b.Settings.Destinations[i]
		for j := range d.Settings {
			s := &d.Settings[j]
			at := index(join(index(join(prefix, "settings.destinations"), i), "settings"), j)
			old, ok := storedSetting(d.ID, j, s.URL, stored)
			if ok {
				if strings.Contains(s.URL, Mask) {
					s.URL = old.URL
				}
				if s.StreamName == "" || s.StreamName == Mask {
					s.StreamName = old.StreamName
				}
				if s.PasswordParam == "" || s.PasswordParam == Mask {
					s.PasswordParam = old.PasswordParam
				}
				continue
			}
			if strings.Contains(s.URL, Mask) {
				p.add(join(at, "url"), "holds the mask %s but is no stored URL of destination %q, masked; send the whole URL", Mask, d.ID)
			}
			if s.StreamName == Mask {
				p.add(join(at, "streamName"), "is the mask %s, and destination %q has no stored stream key for this server; send the key itself", Mask, d.ID)
			}
			if s.PasswordParam == Mask {
				p.add(join(at, "passwordParam"), "is the mask %s, and destination %q has no stored password for this server; send the password itself", Mask, d.ID)
			}
		}
	}
	return p.err()
}

// storedSetting finds the stored setting that a sent one, at position j of
// destination id with URL sent, replaces: the sent URL is the stored one as
// masked, or another URL of the same server.
func storedSetting(id string, j int, sent string, stored []*Blueprint) (DestinationSetting, bool) {
	for _, b := range stored {
		if b == nil {
			continue
		}
		for _, d := range b.Settings.Destinations {
			if d.ID != id || j >= len(d.Settings) {
				continue
			}
			old := d.Settings[j]
			if strings.Contains(sent, Mask) {
				if MaskURL(old.URL) == sent {
					return old, true
				}
			} else if sameServer(sent, old.URL) {
				return old, true
			}
		}
	}
	return DestinationSetting{}, false
}

// sameServer reports whether two URLs name the same scheme and host (with port).
func sameServer(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Host != "" &&
		strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}
