package domain

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound matches every NotFoundError with errors.Is.
var ErrNotFound = errors.New("not found")

// NotFoundError says which object does not exist.
type NotFoundError struct {
	Kind string // "workflow", "blueprint", ...
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Kind, e.ID) }

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ConflictError refuses a request that the object's current state does not allow,
// such as updating a locked workflow.
type ConflictError struct {
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// ForbiddenError refuses a change to something that cannot be changed, such as a
// built-in blueprint.
type ForbiddenError struct {
	Message string
}

func (e *ForbiddenError) Error() string { return e.Message }

// FieldError is one problem with one field of a request, the field named by its
// JSON path (for example "blueprint.settings.channel.video[1].width").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every problem found in a request. It is never empty.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// problems collects FieldErrors under a path prefix while a validator walks a request.
type problems struct {
	list []FieldError
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as a *ValidationError, or nil when there are none.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Errors: p.list}
}

// join builds a JSON path: join("a", "b") is "a.b", join("", "b") is "b".
func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// index builds a JSON path to a list item: index("a", 2) is "a[2]".
func index(prefix string, i int) string {
	return fmt.Sprintf("%s[%d]", prefix, i)
}
