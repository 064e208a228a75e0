package main

import (
	"strings"
	"testing"
)

func TestTestRunsTestFiles(t *testing.T) {
	t.Parallel()
	dir := initProject(t)
	writeFile(t, dir, "github/tests/create-issue.test.ts", `import { vi, expect, it, describe } from 'vitest';
import createAction from '../actions/create-issue.js';

describe('create-issue', () => {
    const nangoMock = new global.vitest.NangoActionMock({ dirname: __dirname, name: 'create-issue', Model: 'X' });
    it('matches the fixture', async () => {
        const response = await createAction.exec(nangoMock, await nangoMock.getInput());
        expect(response).toEqual(await nangoMock.getOutput());
    });
    it('fails on purpose', () => {
        expect({ a: [1, 2] }).toEqual({ a: [1, 3] });
    });
    it('throws', () => {
        const o: any = null;
        return o.x;
    });
});
`)
	writeFile(t, dir, "github/tests/broken.test.ts", "import { it } from 'vitest';\nit('x', () => { (; });\n")

	out, err := run(t, nil, "test", "--dir", dir)
	if err == nil {
		t.Fatalf("test passed:\n%s", out)
	}
	for _, want := range []string{
		"✓ github/tests/create-issue > create-issue > matches the fixture",
		"✗ github/tests/create-issue > create-issue > fails on purpose",
		"a[1]: expected 3, received 2",
		"✗ github/tests/broken.test.ts",
		"broken.test.ts:2",
		// a stack tells the test file's own lines
		"github/tests/create-issue.test.ts:15",
		// the sync, which no test file imports, runs on its .test.json
		"✓ github/issues",
		"2 passed, 3 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Naming the action runs the test files that import it, and its
	// .test.json not again.
	out, _ = run(t, nil, "test", "--dir", dir, "create-issue")
	if !strings.Contains(out, "1 passed, 2 failed") || strings.Contains(out, "broken") {
		t.Errorf("test create-issue:\n%s", out)
	}
}
