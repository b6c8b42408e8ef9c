package middleware

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Handler sends a Request and returns its Response.
type Handler interface {
	Handle(ctx context.Context, req *Request) (*Response, error)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

// Handle calls f(ctx, req).
func (f HandlerFunc) Handle(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// Middleware wraps the next Handler of a Stack. It may change the request
// before calling next, the response or error after, or answer without
// calling next at all.
type Middleware func(next Handler) Handler

// Step is one named Middleware of a Stack.
type Step struct {
	Name       string
	Middleware Middleware
}

// Errors returned by Stack edits.
var (
	ErrStepNotFound  = errors.New("middleware: no step of that name")
	ErrStepExists    = errors.New("middleware: a step of that name already exists")
	ErrStepInvalid   = errors.New("middleware: a step needs a name and a non-nil Middleware")
	errNilTerminal   = errors.New("middleware: the stack has no terminal handler")
	errEmptyStepName = fmt.Errorf("%w: empty name", ErrStepInvalid)
)

// Stack is an ordered list of named middleware, outermost first: the first
// step sees the request first and the response last. The zero value is an
// empty stack ready to use.
//
// A Stack may be edited while calls go through it: an edit takes effect for
// the calls that start after it.
type Stack struct {
	mu    sync.Mutex
	steps []Step
	gen   atomic.Uint64
}

// NewStack returns a stack holding steps, outermost first.
func NewStack(steps ...Step) (*Stack, error) {
	s := &Stack{}
	for _, st := range steps {
		if err := s.Push(st.Name, st.Middleware); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Names returns the step names, outermost first.
func (s *Stack) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, len(s.steps))
	for i, st := range s.steps {
		names[i] = st.Name
	}
	return names
}

// Has reports whether the stack holds a step of that name.
func (s *Stack) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index(name) >= 0
}

// Push adds a step innermost, next to the terminal handler (Guzzle's push).
func (s *Stack) Push(name string, m Middleware) error {
	return s.insert(name, m, func() (int, error) { return len(s.steps), nil })
}

// Unshift adds a step outermost (Guzzle's unshift).
func (s *Stack) Unshift(name string, m Middleware) error {
	return s.insert(name, m, func() (int, error) { return 0, nil })
}

// Before adds a step just outside the step named target: the new step sees
// the request before target does, and the response after it.
func (s *Stack) Before(target, name string, m Middleware) error {
	return s.insertAt(target, 0, name, m)
}

// After adds a step just inside the step named target: the new step sees the
// request after target does, and the response before it.
func (s *Stack) After(target, name string, m Middleware) error {
	return s.insertAt(target, 1, name, m)
}

// Replace puts m in place of the step named name, keeping its position.
func (s *Stack) Replace(name string, m Middleware) error {
	if m == nil {
		return fmt.Errorf("%w: nil Middleware for %q", ErrStepInvalid, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q (have %v)", ErrStepNotFound, name, s.namesLocked())
	}
	steps := append([]Step(nil), s.steps...)
	steps[i].Middleware = m
	s.steps = steps
	s.gen.Add(1)
	return nil
}

// Remove deletes the step named name.
func (s *Stack) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(name)
	if i < 0 {
		return fmt.Errorf("%w: %q (have %v)", ErrStepNotFound, name, s.namesLocked())
	}
	steps := make([]Step, 0, len(s.steps)-1)
	steps = append(steps, s.steps[:i]...)
	s.steps = append(steps, s.steps[i+1:]...)
	s.gen.Add(1)
	return nil
}

// Clone returns an independent copy of the stack, e.g. to give one call its
// own stack without touching the client's.
func (s *Stack) Clone() *Stack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Stack{steps: append([]Step(nil), s.steps...)}
}

// Handler composes the stack in front of terminal. The returned Handler
// follows later edits of the stack: it recomposes, once, after each edit.
func (s *Stack) Handler(terminal Handler) Handler {
	return &composed{stack: s, terminal: terminal}
}

// Compose builds the handler chain of the steps as they are now.
func (s *Stack) Compose(terminal Handler) Handler {
	s.mu.Lock()
	steps := s.steps
	s.mu.Unlock()
	return compose(steps, terminal)
}

func compose(steps []Step, terminal Handler) Handler {
	h := terminal
	for i := len(steps) - 1; i >= 0; i-- {
		h = steps[i].Middleware(h)
	}
	return h
}

type composed struct {
	stack    *Stack
	terminal Handler
	cache    atomic.Pointer[built]
}

type built struct {
	gen uint64
	h   Handler
}

func (c *composed) Handle(ctx context.Context, req *Request) (*Response, error) {
	if c.terminal == nil {
		return nil, errNilTerminal
	}
	gen := c.stack.gen.Load()
	b := c.cache.Load()
	if b == nil || b.gen != gen {
		c.stack.mu.Lock()
		gen = c.stack.gen.Load()
		b = &built{gen: gen, h: compose(c.stack.steps, c.terminal)}
		c.stack.mu.Unlock()
		c.cache.Store(b)
	}
	return b.h.Handle(ctx, req)
}

func (s *Stack) insert(name string, m Middleware, at func() (int, error)) error {
	if name == "" {
		return errEmptyStepName
	}
	if m == nil {
		return fmt.Errorf("%w: nil Middleware for %q", ErrStepInvalid, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index(name) >= 0 {
		return fmt.Errorf("%w: %q", ErrStepExists, name)
	}
	i, err := at()
	if err != nil {
		return err
	}
	steps := make([]Step, 0, len(s.steps)+1)
	steps = append(steps, s.steps[:i]...)
	steps = append(steps, Step{Name: name, Middleware: m})
	s.steps = append(steps, s.steps[i:]...)
	s.gen.Add(1)
	return nil
}

func (s *Stack) insertAt(target string, offset int, name string, m Middleware) error {
	return s.insert(name, m, func() (int, error) {
		i := s.index(target)
		if i < 0 {
			return 0, fmt.Errorf("%w: %q (have %v)", ErrStepNotFound, target, s.namesLocked())
		}
		return i + offset, nil
	})
}

func (s *Stack) index(name string) int {
	for i, st := range s.steps {
		if st.Name == name {
			return i
		}
	}
	return -1
}

func (s *Stack) namesLocked() []string {
	names := make([]string, len(s.steps))
	for i, st := range s.steps {
		names[i] = st.Name
	}
	return names
}
