// Runs Python in real Pyodide (the same npm package the site serves) under Node.
// stdin: {"files": {name: text}, "code": "..."}; the code's value, a JSON
// string, is printed as the last line of stdout.
import { loadPyodide } from "pyodide";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const { files, code } = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const py = await loadPyodide({ stdout: (s) => process.stderr.write(s + "\n") });
for (const [name, text] of Object.entries(files)) py.FS.writeFile(name, text);
py.runPython("import sys; sys.path.insert(0, '.')");
const out = await py.runPythonAsync(code);
process.stdout.write(String(out) + "\n");
