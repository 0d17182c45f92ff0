// Package other holds a type named like one in package openapi's tests, so
// that they can check how two components of the same name are told apart.
package other

// Workflow shares its name with openapi's test type Workflow.
type Workflow struct {
	Name string `json:"name"`
}
