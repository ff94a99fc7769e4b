using Microsoft.Extensions.Time.Testing;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Wasme.Cli.Tests.Authoring;
using Wasme.Cli.Tests.Support;
using Wasme.Istio.Yaml;
using Wasme.Oci.References;
using Wasme.Oci.Store;
using Wasme.Testing.Filters;

namespace Wasme.Cli.Tests.Testing;

/// <summary><c>wasme test</c> as a filter author runs it on a project <c>wasme init</c> made.</summary>
public sealed class TestCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly CliRunner _cli;
    private readonly AssemblyScriptFilters _filters = new();

    public TestCommandTests() => _cli = AuthoringCli.Create(_temp.Combine("home"));

    // A filter that lets every request through: enough for the runner, with no SDK to build.
    private const string PassThroughWat = """
        (module
          (memory (export "memory") 1)
          (func (export "proxy_abi_version_0_2_1"))
          (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
          (func (export "proxy_on_context_create") (param i32 i32))
          (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
          (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
          (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0)))
        """;

    public void Dispose() => _temp.Dispose();

    private async Task<string> PassThroughModuleAsync()
    {
        var module = _temp.Combine("pass-through.wat");
        await File.WriteAllTextAsync(module, PassThroughWat);
        return module;
    }

    [Fact]
    public async Task A_test_file_that_never_ends_is_refused_at_the_bound_instead_of_running_out_of_memory()
    {
        var module = await PassThroughModuleAsync();

        var exitCode = await _cli.RunAsync("test", "/dev/zero", "--module", module);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("/dev/zero:1:1: this file is larger than 16 MiB; pass the file itself", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_test_file_that_is_not_utf8_is_refused_instead_of_read_with_replacement_characters()
    {
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("latin1.yaml");
        await File.WriteAllBytesAsync(file, [.. "tests:\n  - name: caf"u8, 0xE9, .. "\n    when: {request: {path: /}}\n"u8]);

        var exitCode = await _cli.RunAsync("test", file, "--module", module);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("latin1.yaml:1:1: this file is not UTF-8 text: line 2 holds the byte 0xE9", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_templates_own_tests_pass_against_the_template_filter()
    {
        var project = await InitWithModuleAsync(AssemblyScriptFilters.AddHeaderSource);

        var exitCode = await _cli.RunAsync("test", Path.Combine(project, "tests"), "-o", $"junit={Path.Combine(project, "results.xml")}");

        Assert.True(exitCode == ExitCodes.Success, _cli.Out.Output + _cli.Error.Output);
        Assert.Contains("3 passed, 0 failed", _cli.Out.Output, StringComparison.Ordinal);
        var suite = XDocument.Load(Path.Combine(project, "results.xml")).Root!.Element("testsuite")!;
        Assert.Equal("3", suite.Attribute("tests")!.Value);
    }

    [Fact]
    public async Task A_broken_filter_fails_the_templates_tests_with_what_differs()
    {
        var broken = AssemblyScriptFilters.AddHeaderSource.Replace("const HEADER_NAME = \"hello\";", "const HEADER_NAME = \"hullo\";", StringComparison.Ordinal);
        Assert.NotEqual(AssemblyScriptFilters.AddHeaderSource, broken);
        var project = await InitWithModuleAsync(broken);

        var exitCode = await _cli.RunAsync("test", Path.Combine(project, "tests"));

        Assert.Equal(ExitCodes.Failure, exitCode);
        var output = _cli.Out.Output;
        Assert.Contains("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("response.headers.hello", output, StringComparison.Ordinal);
        Assert.Contains("expected: \"world\"", output, StringComparison.Ordinal);
        Assert.Contains("hullo", output, StringComparison.Ordinal);
        Assert.Contains("0 passed, 3 failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Results_as_json_and_yaml_are_one_document_with_each_case_and_what_differs()
    {
        var broken = AssemblyScriptFilters.AddHeaderSource.Replace("const HEADER_NAME = \"hello\";", "const HEADER_NAME = \"hullo\";", StringComparison.Ordinal);
        var project = await InitWithModuleAsync(broken);

        Assert.Equal(ExitCodes.Failure, await _cli.RunAsync("test", Path.Combine(project, "tests"), "-o", "json"));
        var json = JsonNode.Parse(_cli.Out.Output)!;
        Assert.Equal(ExitCodes.Failure, await _cli.RunAsync("test", Path.Combine(project, "tests"), "-o", "yaml"));
        var yaml = Assert.Single(YamlJson.ReadDocuments(_cli.Out.Output));

        Assert.False((bool)json["passed"]!);
        Assert.Equal(3, (int)json["failed"]!);
        var mismatch = json["files"]![0]!["cases"]![0]!["mismatches"]![0]!;
        Assert.Equal("response.headers.hello", (string?)mismatch["subject"]);
        // Elapsed time is not in the document, so two runs print the same one.
        Assert.True(JsonNode.DeepEquals(json, yaml), _cli.Out.Output);
    }

    [Fact]
    public async Task Json_results_keep_names_and_values_as_written_for_grep()
    {
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("quoted.yaml");
        await File.WriteAllTextAsync(file, """
            tests:
              - name: "the header's value is <b> & a+b"
                then: {response: {headers: {x-said: "it's"}}}
            """);

        Assert.Equal(ExitCodes.Failure, await _cli.RunAsync("test", file, "--module", module, "-o", "json"));

        // The default encoder's \u0027 and \u0022 are valid JSON but match no grep for what the file says.
        Assert.Contains("\"name\": \"the header's value is <b> & a+b\"", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("\"expected\": \"\\\"it's\\\"\"", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal("the header's value is <b> & a+b", (string?)JsonNode.Parse(_cli.Out.Output)!["files"]![0]!["cases"]![0]!["name"]);
    }

    [Fact]
    public async Task A_malformed_test_file_exits_2_naming_the_file_and_line()
    {
        var project = await InitWithModuleAsync(AssemblyScriptFilters.AddHeaderSource);
        var file = Path.Combine(project, "tests", "add-header.yaml");
        await File.AppendAllTextAsync(file, "  - name: typo\n    then: {respons: {status: 200}}\n");

        var exitCode = await _cli.RunAsync("test", Path.Combine(project, "tests"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains($"{file}:", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("unknown key 'respons' in then; expected one of: response", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PASS", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wat_module_given_with_module_is_compiled_from_its_text_and_its_tests_run()
    {
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("pass-through.yaml");
        await File.WriteAllTextAsync(file, "tests:\n  - name: passes the request through\n    when: {request: {path: /}}\n    then: {response: {status: 200}}\n");

        var exitCode = await _cli.RunAsync("test", file, "--module", module);

        Assert.True(exitCode == ExitCodes.Success, _cli.Error.Output + _cli.Out.Output);
        Assert.Contains("PASS", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_module_that_is_not_webassembly_fails_its_cases_and_the_other_files_still_run()
    {
        await PassThroughModuleAsync();
        await File.WriteAllTextAsync(_temp.Combine("garbage.wasm"), "not a module");
        var good = _temp.Combine("good.yaml");
        var bad = _temp.Combine("bad.yaml");
        await File.WriteAllTextAsync(bad, "filters: [{module: garbage.wasm}]\ntests:\n  - name: runs the garbage\n    when: {request: {path: /}}\n");
        await File.WriteAllTextAsync(good, "filters: [{module: pass-through.wat}]\ntests:\n  - name: passes the request through\n    when: {request: {path: /}}\n    then: {response: {status: 200}}\n");

        var exitCode = await _cli.RunAsync("test", bad, good);

        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.Contains("1 passed, 1 failed", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("garbage.wasm", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("is not a WebAssembly module", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_past_its_timeout_stops_and_fails_naming_the_case_under_way()
    {
        // Each request loops until the host's call deadline: many such cases would run for as many seconds.
        var module = _temp.Combine("loops.wat");
        await File.WriteAllTextAsync(module, PassThroughWat.Replace(
            "(func (export \"proxy_on_request_headers\") (param i32 i32 i32) (result i32) (i32.const 0))",
            "(func (export \"proxy_on_request_headers\") (param i32 i32 i32) (result i32) (loop (br 0)) (i32.const 0))", StringComparison.Ordinal));
        var file = _temp.Combine("slow.yaml");
        await File.WriteAllTextAsync(file, "tests:\n" + string.Concat(Enumerable.Range(1, 8).Select(i => $"  - name: slow case {i}\n    when: {{request: {{path: /}}}}\n")));

        var exitCode = await _cli.RunAsync("test", file, "--module", module, "--timeout", "0.5s");

        // The limit is a real timer: on a loaded machine it may fire after the first case ended, so the case named is
        // whichever was under way, and it must not also be reported as finished.
        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.Contains("--timeout 0.5s", _cli.Error.Output, StringComparison.Ordinal);
        var named = Regex.Match(_cli.Error.Output, "case '(slow case [0-9])' \\([^)]*slow\\.yaml:[0-9]+\\) was running");
        Assert.True(named.Success, _cli.Error.Output);
        Assert.DoesNotContain(named.Groups[1].Value, _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_past_its_timeout_still_writes_the_junit_report_with_the_finished_cases_and_the_one_stopped()
    {
        // CI shows the report, not the log: a timed-out run must still say what passed and which case was cut off.
        await PassThroughModuleAsync();
        await File.WriteAllTextAsync(_temp.Combine("loops.wat"), PassThroughWat.Replace(
            "(func (export \"proxy_on_request_headers\") (param i32 i32 i32) (result i32) (i32.const 0))",
            "(func (export \"proxy_on_request_headers\") (param i32 i32 i32) (result i32) (loop (br 0)) (i32.const 0))", StringComparison.Ordinal));
        var fast = _temp.Combine("a-fast.yaml");
        await File.WriteAllTextAsync(fast, "filters: [{module: pass-through.wat}]\ntests:\n  - name: passes the request through\n    when: {request: {path: /}}\n    then: {response: {status: 200}}\n");
        var slow = _temp.Combine("b-slow.yaml");
        // Each slow case ends at the host's 1 s call deadline; the limit runs out (on a fake clock) once the fast case passed.
        await File.WriteAllTextAsync(slow, "filters: [{module: loops.wat}]\ntests:\n" + string.Concat(Enumerable.Range(1, 60).Select(i => $"  - name: slow case {i}\n    when: {{request: {{path: /}}}}\n")));
        var report = _temp.Combine("results.xml");
        var clock = new FakeTimeProvider();
        _cli.Clock = clock;

        var run = _cli.RunAsync("test", fast, slow, "--timeout", "10m", "-o", $"junit={report}");
        while (!run.IsCompleted && !OutputSoFar().Contains("passes the request through", StringComparison.Ordinal))
        {
            await Task.Delay(20);
        }

        clock.Advance(TimeSpan.FromMinutes(10));
        var exitCode = await run;

        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.True(File.Exists(report), "no JUnit report was written");
        var cases = XDocument.Load(report).Descendants("testcase").ToList();
        var passed = Assert.Single(cases, c => (string?)c.Attribute("name") == "passes the request through");
        Assert.Empty(passed.Elements());
        var stopped = Assert.Single(cases, c => c.Element("error") is not null);
        Assert.StartsWith("slow case ", (string?)stopped.Attribute("name"), StringComparison.Ordinal);
        Assert.Contains("--timeout 10m", (string?)stopped.Element("error")!.Attribute("message"), StringComparison.Ordinal);
        Assert.Contains($"'{stopped.Attribute("name")!.Value}'", _cli.Error.Output, StringComparison.Ordinal);
    }

    // The run writes while the test reads: a read that races a write is retried on the next poll.
    private string OutputSoFar()
    {
        try
        {
            return _cli.Out.Output;
        }
        catch (ArgumentOutOfRangeException)
        {
            return "";
        }
    }

    [Fact]
    public async Task Update_writes_through_a_linked_test_file_and_removes_what_a_killed_update_left()
    {
        var module = await PassThroughModuleAsync();
        Directory.CreateDirectory(_temp.Combine("shared"));
        var target = _temp.Combine("shared", "golden.yaml");
        await File.WriteAllTextAsync(target, "tests:\n  - name: records the response\n    when: {request: {path: /}}\n    then: {response: {status: 418}}\n");
        var link = _temp.Combine("golden.yaml");
        File.CreateSymbolicLink(link, target);
        var leftover = _temp.Combine("shared", $".golden.yaml.{Guid.NewGuid():N}.tmp");
        await File.WriteAllTextAsync(leftover, "what a killed --update left");

        var exitCode = await _cli.RunAsync("test", link, "--module", module, "--update");

        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Contains("status: 200", await File.ReadAllTextAsync(target), StringComparison.Ordinal);
        Assert.False(File.Exists(leftover), "the temp file of a killed --update is still there");
        Assert.Equal(["golden.yaml"], Directory.EnumerateFileSystemEntries(_temp.Combine("shared")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_run_past_its_timeout_while_a_test_file_is_read_stops_naming_the_file()
    {
        // A named pipe no one writes to: the read waits for a writer, and the time limit ended it with a stack trace.
        var module = await PassThroughModuleAsync();
        var pipe = _temp.Combine("pipe.yaml");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe]))
        {
            await mkfifo.WaitForExitAsync(CancellationToken.None);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var exitCode = await _cli.RunAsync("test", pipe, "--module", module, "--timeout", "0.5s");

        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.Matches("the run took longer than --timeout 0\\.5s while it read \\S*pipe\\.yaml, before any case ran", _cli.Error.Output);
        Assert.DoesNotContain("report it as a bug", _cli.Error.Output, StringComparison.Ordinal);

        // Release the abandoned open: a writer lets it complete.
        await using var writer = new FileStream(pipe, FileMode.Open, FileAccess.Write);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Update_writes_nothing_to_a_read_only_test_file()
    {
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("locked.yaml");
        var text = "tests:\n  - name: stale\n    then: {response: {status: 500}}\n";
        await File.WriteAllTextAsync(file, text);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var exitCode = await _cli.RunAsync("test", file, "--module", module, "--update");

        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.Contains("locked.yaml is read-only, so --update wrote nothing to it", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(file));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Update_keeps_a_private_test_file_private()
    {
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("private.yaml");
        await File.WriteAllTextAsync(file, "tests:\n  - name: stale\n    then: {response: {status: 500}}\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var exitCode = await _cli.RunAsync("test", file, "--module", module, "--update");

        Assert.True(exitCode == ExitCodes.Failure, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.Contains("status: 200", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }

    [Fact]
    public async Task A_junit_report_is_written_through_a_link_as_other_output_files_are()
    {
        // The report was renamed over the path itself: a link was cut, and as root `-o junit=/dev/stdout` replaced
        // the system's /dev/stdout link with a regular file instead of printing the report.
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("t.yaml");
        await File.WriteAllTextAsync(file, "tests:\n  - name: passes\n");
        Directory.CreateDirectory(_temp.Combine("shared"));
        var target = _temp.Combine("shared", "results.xml");
        await File.WriteAllTextAsync(target, "the last run's report");
        var link = _temp.Combine("results.xml");
        File.CreateSymbolicLink(link, target);

        var exitCode = await _cli.RunAsync("test", file, "--module", module, "-o", $"junit={link}");

        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("1", XDocument.Load(target).Root!.Attribute("tests")!.Value);
        Assert.Equal(["results.xml"], Directory.EnumerateFileSystemEntries(_temp.Combine("shared")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_junit_path_that_is_a_directory_is_refused_before_any_case_runs()
    {
        var reports = Directory.CreateDirectory(_temp.Combine("reports")).FullName;
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("t.yaml");
        await File.WriteAllTextAsync(file, "tests:\n  - name: a\n");

        var exitCode = await _cli.RunAsync("test", file, "--module", module, "-o", $"junit={reports}");

        Assert.True(exitCode == ExitCodes.UsageError, _cli.Error.Output + _cli.Out.Output);
        Assert.Contains("is a directory; name the report's file, for example -o junit=", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PASS", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(reports));
        Assert.False(File.Exists(reports + ".tmp"));
    }

    [Fact]
    public async Task A_module_missing_from_a_later_case_exits_3_before_any_case_runs_or_is_updated()
    {
        await PassThroughModuleAsync();
        var file = _temp.Combine("t.yaml");
        var text = "filters: [{module: pass-through.wat}]\ntests:\n  - name: first\n    then: {response: {status: 201}}\n  - name: second\n    given: {filters: [{module: build/missing.wasm}]}\n";
        await File.WriteAllTextAsync(file, text);

        var exitCode = await _cli.RunAsync("test", file, "--update", "-o", $"junit={_temp.Combine("junit.xml")}");

        Assert.True(exitCode == ExitCodes.NotFound, $"exit {exitCode}: {_cli.Error.Output}{_cli.Out.Output}");
        Assert.Contains("missing.wasm does not exist", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("first", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Equal(text, await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task An_empty_tests_list_exits_3_naming_the_file_read()
    {
        var module = await PassThroughModuleAsync();
        var file = _temp.Combine("empty-cases.yaml");
        await File.WriteAllTextAsync(file, "tests: []\n");

        var exitCode = await _cli.RunAsync("test", file, "--module", module);

        Assert.True(exitCode == ExitCodes.NotFound, _cli.Error.Output + _cli.Out.Output);
        Assert.Contains("no case ran in ", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("empty-cases.yaml; add a case to the 'tests:' list", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_test_file_without_a_module_needs_module_or_image()
    {
        var file = _temp.Combine("t.yaml");
        await File.WriteAllTextAsync(file, "tests:\n  - name: a\n");

        var exitCode = await _cli.RunAsync("test", file);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--module FILE.wasm or --image REF", _cli.Error.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_with_test_stores_nothing_when_a_test_fails()
    {
        var project = _temp.Combine("filter");
        var store = _temp.Combine("store");
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", "assemblyscript"));
        var tests = Path.Combine(project, "tests", "add-header.yaml");
        await File.WriteAllTextAsync(tests, (await File.ReadAllTextAsync(tests)).Replace("headers: {hello: tomorrow}", "headers: {hello: yesterday}", StringComparison.Ordinal));

        var failed = await _cli.RunAsync("build", "assemblyscript", project, "-t", "my-filter:v1", "--store", store, "--test");
        var failedOutput = _cli.Out.Output + _cli.Error.Output;
        await File.WriteAllTextAsync(tests, (await File.ReadAllTextAsync(tests)).Replace("yesterday", "tomorrow", StringComparison.Ordinal));
        var passed = await _cli.RunAsync("build", "assemblyscript", project, "-t", "my-filter:v1", "--store", store, "--test");

        Assert.True(failed == ExitCodes.Failure, failedOutput);
        Assert.Contains("1 of 3 filter tests failed; nothing was stored", failedOutput, StringComparison.Ordinal);
        Assert.True(passed == ExitCodes.Success, _cli.Out.Output + _cli.Error.Output);
        Assert.NotNull(await new LocalImageStore(store).FindAsync(ImageReference.Parse("my-filter:v1")));
    }

    [Fact]
    public async Task Build_with_test_and_no_case_stores_nothing_and_exits_3()
    {
        var project = _temp.Combine("filter");
        var store = _temp.Combine("store");
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", "assemblyscript"));
        await File.WriteAllTextAsync(Path.Combine(project, "tests", "add-header.yaml"), "tests: []\n");

        var exitCode = await _cli.RunAsync("build", "assemblyscript", project, "-t", "my-filter:v1", "--store", store, "--test");

        Assert.True(exitCode == ExitCodes.NotFound, _cli.Out.Output + _cli.Error.Output);
        Assert.Contains($"--test: no case ran in {Path.Combine("tests", "add-header.yaml")}; add a case", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Null(await new LocalImageStore(store).FindAsync(ImageReference.Parse("my-filter:v1")));
    }

    [Fact]
    public async Task Help_names_every_key_of_the_test_file_format_the_templates_point_to_it_for()
    {
        // Every template's test file says "Format: see `wasme test --help`"; the published schema is the format.
        var schema = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Istio.IstioCli.Root, "docs", "schemas", "filter-test.schema.json")))!;
        var testCase = schema["$defs"]!["case"]!["properties"]!;
        var keys = new[] { schema["properties"]!, testCase, testCase["when"]!["properties"]!, testCase["then"]!["properties"]! }
            .SelectMany(level => level.AsObject().Select(property => property.Key))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.Contains("queueMessages", keys);
        Assert.Contains("filterFailed", keys);

        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("test", "--help"));

        var help = string.Join(' ', _cli.Out.Output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        Assert.All(keys, key => Assert.Matches($@"\b{key}\b", help));
        Assert.Contains("docs/testing-filters.md", help, StringComparison.Ordinal);
        foreach (var template in Directory.GetFiles(Path.Combine(Istio.IstioCli.Root, "templates"), "*.yaml", SearchOption.AllDirectories))
        {
            Assert.Contains("Format: see `wasme test --help`", await File.ReadAllTextAsync(template), StringComparison.Ordinal);
        }
    }

    /// <summary><c>wasme init</c>, with the module compiled from <paramref name="source"/> where the build puts it.</summary>
    private async Task<string> InitWithModuleAsync(string source)
    {
        var project = _temp.Combine("filter");
        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", "assemblyscript"));
        var built = await _filters.BuildAsync(source);
        Directory.CreateDirectory(Path.Combine(project, "build"));
        File.Copy(built.ModulePath, Path.Combine(project, "build", "optimized.wasm"));
        return project;
    }
}
