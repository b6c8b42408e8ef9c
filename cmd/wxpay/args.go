package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// flagDef describes one flag: its short and long names and, for a flag
// that takes a value, what the value is.
type flagDef struct {
	short string // one letter, without "-": "q"; may be empty
	long  string // without "--": "query"; the key of its values
	arg   string // the value's placeholder, e.g. "K=V"; empty for a boolean flag
	usage string
}

// flagSet is the flags of one command. Unlike package flag, it reads flags
// before and after the positional arguments, knows a short and a long name
// for each, and takes every value verbatim:
//
//	-q v   -q=v   --query v   --query=v
//
// A value flag always takes the next argument, even one starting with "-".
// "--" ends the flags; "-" alone is a positional argument. A boolean flag
// takes no value, or =true / =false.
type flagSet struct {
	defs []flagDef
}

// errHelp is returned by parse for -h or --help.
var errHelp = errors.New("help requested")

// parsedArgs is what parse found.
type parsedArgs struct {
	values     map[string][]string // value flags, by long name, in the order given
	bools      map[string]bool     // boolean flags given, by long name
	positional []string
}

// value returns the last value of a flag, or "".
func (p *parsedArgs) value(long string) string {
	v := p.values[long]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// has tells whether a value flag was given.
func (p *parsedArgs) has(long string) bool { return len(p.values[long]) > 0 }

// lookup finds a flag by the name written after "-" or "--".
func (fs *flagSet) lookup(name string, long bool) *flagDef {
	for i := range fs.defs {
		d := &fs.defs[i]
		if (long && d.long == name) || (!long && d.short != "" && d.short == name) {
			return d
		}
	}
	return nil
}

// parse reads args. It returns errHelp for -h or --help, and an error
// naming the flag for an unknown flag, a missing value or a bad boolean.
func (fs *flagSet) parse(args []string) (*parsedArgs, error) {
	p := &parsedArgs{values: map[string][]string{}, bools: map[string]bool{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			p.positional = append(p.positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			p.positional = append(p.positional, a)
			continue
		}
		long := strings.HasPrefix(a, "--")
		written, value, hasValue := strings.Cut(a, "=")
		name := strings.TrimPrefix(written, "-")
		if long {
			name = written[2:]
		}
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		d := fs.lookup(name, long)
		if d == nil {
			return nil, fmt.Errorf("unknown flag %s", written)
		}
		if d.arg == "" {
			on := true
			if hasValue {
				b, err := strconv.ParseBool(value)
				if err != nil {
					return nil, fmt.Errorf("flag %s takes no value, or =true or =false; got %q", written, value)
				}
				on = b
			}
			p.bools[d.long] = on
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag %s needs a value (%s)", written, d.arg)
			}
			i++
			value = args[i]
		}
		p.values[d.long] = append(p.values[d.long], value)
	}
	return p, nil
}

// usage writes the flags, one a line.
func (fs *flagSet) usage(w io.Writer) {
	for _, d := range fs.defs {
		names := "    "
		if d.short != "" {
			names = "-" + d.short + ", "
		}
		names += "--" + d.long
		if d.arg != "" {
			names += " " + d.arg
		}
		fmt.Fprintf(w, "  %-26s %s\n", names, d.usage)
	}
}

// keyValue splits a K=V argument at its first "=", keeping the value as
// written (later "=", commas, spaces, any text).
func keyValue(flag, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("%s %q: want NAME=VALUE", flag, s)
	}
	return k, v, nil
}

// headerValue splits a 'Name: value' header argument of flag.
func headerValue(flag, s string) (string, string, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return "", "", fmt.Errorf("%s %q: want 'Name: value'", flag, s)
	}
	return name, strings.TrimSpace(value), nil
}
