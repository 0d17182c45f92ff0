package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// credentials is what `onair login` keeps for later commands: an idToken for
// one server, until it expires, and the refresh token that gets the next one.
type credentials struct {
	Server       string    `json:"server"` // the client's base URL, as newClient normalizes it
	IDToken      string    `json:"idToken"`
	RefreshToken string    `json:"refreshToken"`
	Expires      time.Time `json:"expires"`
}

// credentialsPath is where the login is kept: $ONAIR_CREDENTIALS, else
// onair/credentials.json in $XDG_CONFIG_HOME, else in ~/.config. It reads the
// environment through getenv only, so that tests never see the user's file.
func credentialsPath(getenv func(string) string) (string, error) {
	if p := getenv("ONAIR_CREDENTIALS"); p != "" {
		return p, nil
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "onair", "credentials.json"), nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "onair", "credentials.json"), nil
	}
	return "", errors.New("cannot tell where to keep the login: set ONAIR_CREDENTIALS (a file path), XDG_CONFIG_HOME or HOME")
}

// loadCredentials reads the login file; a missing file is (nil, nil): not
// logged in.
func loadCredentials(path string) (*credentials, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the login: %w", err)
	}
	var c credentials
	if err := json.Unmarshal(raw, &c); err != nil || c.Server == "" || c.IDToken == "" {
		return nil, fmt.Errorf("the login file %s is damaged; run \"onair logout\", then \"onair login\" again", path)
	}
	return &c, nil
}

// saveCredentials writes the login file so that no other user can ever read
// it: the directory is made 0700, and the secrets go into a temp file that is
// 0600 before the first byte, then renamed over the old one, so that a crash
// leaves either the old login or the new one.
func saveCredentials(path string, c credentials) error {
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	f, err := os.CreateTemp(dir, ".credentials-*.json")
	if err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600) // CreateTemp already uses 0600; say so rather than rely on it
	if err == nil {
		_, err = f.Write(append(raw, '\n'))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save the login: %w", err)
	}
	return nil
}
