using System.Globalization;
using Wasme.Cli.Tests.Support;
using Wasme.Oci;

namespace Wasme.Cli.Tests.Authoring;

public sealed class InitCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly CliRunner _cli;

    public InitCommandTests() => _cli = AuthoringCli.Create(_temp.Combine("home"));

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("assemblyscript", "v0.2.0", "assembly/index.ts", "package.json", "package-lock.json", "assembly/tsconfig.json")]
    [InlineData("rust", "v0.2.1", "src/lib.rs", "Cargo.toml")]
    [InlineData("tinygo", "v0.2.0", "main.go", "go.mod")]
    [InlineData("cpp", "v0.2.1", "filter.cc", "Makefile")]
    public async Task Init_writes_a_project_whose_source_registers_the_root_id_its_runtime_config_declares(
        string language, string abiVersion, string source, params string[] otherFiles)
    {
        var project = _temp.Combine("filter");

        var exitCode = await _cli.RunAsync("init", project, "--language", language);

        Assert.Equal(ExitCodes.Success, exitCode);
        foreach (var file in (string[])[source, "runtime-config.json", "README.md", ".gitignore", .. otherFiles])
        {
            Assert.True(File.Exists(Path.Combine(project, file)), $"{file} missing");
        }

        var config = RuntimeConfig.Parse(await File.ReadAllBytesAsync(Path.Combine(project, "runtime-config.json")));
        Assert.Equal([abiVersion], config.AbiVersions);
        Assert.Equal(["add_header"], config.RootIds);
        Assert.Contains("\"add_header\"", await File.ReadAllTextAsync(Path.Combine(project, source)), StringComparison.Ordinal);
        Assert.Contains($"wasme build {language}", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("my filter", "'{0}'")]
    [InlineData("it's", @"'{0}'")]
    [InlineData("my-filter", "{0}")]
    public async Task Init_prints_a_next_build_command_that_pastes_into_a_shell_as_one_path(string name, string quoted)
    {
        var project = _temp.Combine(name);

        Assert.Equal(ExitCodes.Success, await _cli.RunAsync("init", project, "--language", "rust"));

        var path = string.Format(CultureInfo.InvariantCulture, quoted, project.Replace("'", @"'\''", StringComparison.Ordinal));
        Assert.Contains($"Next: wasme build rust {path} -t my-filter:v1", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_refuses_a_non_empty_directory_and_leaves_it_untouched()
    {
        var project = _temp.Combine("busy");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "runtime-config.json"), "mine");

        var exitCode = await _cli.RunAsync("init", project, "--language", "rust");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("is not empty", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Contains("--force", _cli.Error.Output, StringComparison.Ordinal);
        Assert.Equal(["runtime-config.json"], Directory.GetFileSystemEntries(project).Select(Path.GetFileName));
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(project, "runtime-config.json")));
        Assert.Equal([Path.Combine(_temp.Path, "busy")], Directory.GetDirectories(_temp.Path).Where(d => !d.EndsWith("home", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Init_with_force_writes_the_template_over_a_non_empty_directory_and_keeps_other_files()
    {
        var project = _temp.Combine("busy");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "notes.txt"), "keep me");
        await File.WriteAllTextAsync(Path.Combine(project, "main.go"), "old");

        var exitCode = await _cli.RunAsync("init", project, "--language", "tinygo", "--force");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Equal("keep me", await File.ReadAllTextAsync(Path.Combine(project, "notes.txt")));
        Assert.Contains("proxywasm.SetVMContext", await File.ReadAllTextAsync(Path.Combine(project, "main.go")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_without_language_off_a_terminal_is_a_usage_error_that_names_the_flag()
    {
        var project = _temp.Combine("filter");

        var exitCode = await _cli.RunAsync("init", project);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("--language is required", _cli.Error.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(project));
    }

    [Fact]
    public async Task Init_on_a_terminal_prompts_for_language_and_platform()
    {
        var project = _temp.Combine("filter");

        var exitCode = await _cli.RunAsync(
            interactive: true,
            console =>
            {
                console.Input.PushKey(ConsoleKey.DownArrow); // assemblyscript -> rust
                console.Input.PushKey(ConsoleKey.Enter);
                console.Input.PushKey(ConsoleKey.Enter); // istio
                console.Input.PushTextWithEnter("1.20");
            },
            "init",
            project);

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.True(File.Exists(Path.Combine(project, "Cargo.toml")));
        Assert.Contains("Compatible with istio 1.20", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_on_a_terminal_refuses_a_non_empty_directory_before_asking_anything()
    {
        var project = _temp.Combine("busy");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "notes.txt"), "mine");

        var exitCode = await _cli.RunAsync(
            interactive: true,
            console =>
            {
                console.Input.PushKey(ConsoleKey.Enter); // assemblyscript
                console.Input.PushKey(ConsoleKey.DownArrow);
                console.Input.PushKey(ConsoleKey.DownArrow);
                console.Input.PushKey(ConsoleKey.Enter); // any platform
            },
            "init",
            project);

        Assert.True(exitCode == ExitCodes.UsageError, _cli.Out.Output + _cli.Error.Output);
        Assert.Contains("is not empty", _cli.Error.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Which language", _cli.Out.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_on_a_terminal_asks_again_for_a_platform_version_it_cannot_target()
    {
        var project = _temp.Combine("filter");

        var exitCode = await _cli.RunAsync(
            interactive: true,
            console =>
            {
                console.Input.PushKey(ConsoleKey.Enter); // assemblyscript
                console.Input.PushKey(ConsoleKey.Enter); // istio
                console.Input.PushTextWithEnter("1.6");
                console.Input.PushTextWithEnter("1.22");
            },
            "init",
            project);

        Assert.True(exitCode == ExitCodes.Success, _cli.Out.Output + _cli.Error.Output);
        Assert.Contains("istio 1.6 predates Proxy-Wasm ABI 0.2 (supported from istio 1.9)", _cli.Out.Output, StringComparison.Ordinal);
        Assert.Contains("Compatible with istio 1.22", _cli.Out.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(project, "package.json")));
    }

    [Fact]
    public async Task Init_for_an_istio_version_without_abi_0_2_is_refused_with_the_minimum_version()
    {
        var project = _temp.Combine("filter");

        var exitCode = await _cli.RunAsync("init", project, "--language", "assemblyscript", "--platform", "istio", "--platform-version", "1.6.x");

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("istio 1.6 predates Proxy-Wasm ABI 0.2 (supported from istio 1.9)", _cli.Error.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(project));
    }

    [Fact]
    public async Task Init_after_a_killed_init_removes_the_staging_copy_it_left_and_keeps_one_still_being_written()
    {
        // What a SIGKILL during init leaves beside the target: its hidden staging directory, named after its process
        // (no process has this id: Linux caps ids at 2^22).
        var abandoned = _temp.Combine($".filter.wasme-init-{int.MaxValue}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(abandoned, "src"));
        await File.WriteAllTextAsync(Path.Combine(abandoned, "Cargo.toml"), "[package]\n");
        var running = _temp.Combine($".filter.wasme-init-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(running);
        var unrelated = _temp.Combine(".filter.wasme-init-notes");
        Directory.CreateDirectory(unrelated);

        var exitCode = await _cli.RunAsync("init", _temp.Combine("filter"), "--language", "rust");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.False(Directory.Exists(abandoned), "the killed init's staging copy is still there");
        Assert.True(Directory.Exists(running));
        Assert.True(Directory.Exists(unrelated));
        Assert.True(File.Exists(_temp.Combine("filter", "Cargo.toml")));
    }
}
