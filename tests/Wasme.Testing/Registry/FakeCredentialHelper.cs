namespace Wasme.Testing.Registry;

/// <summary>
/// A real <c>docker-credential-&lt;name&gt;</c> program (a python3 script) in its own directory, speaking
/// docker's helper protocol: <c>store</c> reads <c>{"ServerURL","Username","Secret"}</c>, <c>get</c> and
/// <c>erase</c> read the server URL, and a server it does not know is "credentials not found" with exit 1.
/// It keeps its secrets in a JSON file beside it and logs each verb it was run with.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FakeCredentialHelper : IDisposable
{
    private const string Script = """
        #!/usr/bin/env python3
        import json, os, sys
        here = os.path.dirname(os.path.abspath(__file__))
        store = os.path.join(here, "secrets.json")
        data = json.load(open(store)) if os.path.exists(store) else {}
        verb = sys.argv[1]
        with open(os.path.join(here, "calls.log"), "a") as log:
            log.write(verb + "\n")
        if verb == "store":
            entry = json.load(sys.stdin)
            data[entry["ServerURL"]] = entry
        elif verb in ("get", "erase"):
            url = sys.stdin.read().strip()
            if url not in data:
                print("credentials not found in native keychain")
                sys.exit(1)
            if verb == "get":
                json.dump(data[url], sys.stdout)
                sys.exit(0)
            del data[url]
        else:
            print("unknown verb " + verb, file=sys.stderr)
            sys.exit(2)
        with open(store, "w") as out:
            json.dump(data, out)

        """;

    public FakeCredentialHelper(string name = "test")
    {
        Name = name;
        Directory = System.IO.Directory.CreateTempSubdirectory("wasme-credential-helper-").FullName;
        var program = Path.Combine(Directory, "docker-credential-" + name);
        File.WriteAllText(program, Script);
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Name { get; }

    /// <summary>Put this first on PATH.</summary>
    public string Directory { get; }

    public string PathWithHelper => Directory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

    /// <summary>What the helper holds, as its JSON file (empty when nothing was ever stored).</summary>
    public string Secrets => File.Exists(Path.Combine(Directory, "secrets.json")) ? File.ReadAllText(Path.Combine(Directory, "secrets.json")) : string.Empty;

    /// <summary>The verbs the helper was run with, in order.</summary>
    public IReadOnlyList<string> Calls => File.Exists(Path.Combine(Directory, "calls.log")) ? File.ReadAllLines(Path.Combine(Directory, "calls.log")) : [];

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
