using Wasme.Testing.Kubernetes.Tests.Support;

namespace Wasme.Testing.Kubernetes.Tests.Kubectl;

/// <summary>
/// Metadata that kube-apiserver refuses (apimachinery's ObjectMeta validation), as an operator meets it through
/// kubectl: the same refusals, the same wording, the same warnings.
/// </summary>
public sealed class KubectlMetadataValidationTests : IAsyncLifetime
{
    private const string SubdomainRule = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private KubernetesTestServer _server = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _server = await KubernetesTestServer.StartAsync();
        _kubectl = new KubectlRunner(_server);
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("crd.yaml", Manifests.WidgetCrd));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Apply_LabelValueOver63Characters_IsRefusedForItsLengthOnly()
    {
        var value = new string('a', 64);

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1, $"{{team: {value}}}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"The Widget \"gizmo\" is invalid: metadata.labels: Invalid value: \"{value}\": must be no more than 63 characters", result.Stderr.Trim());
    }

    [Fact]
    public async Task Apply_LabelKeyWithBadPrefix_IsRefused()
    {
        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1, "{Example_Com/team: a}")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"The Widget \"gizmo\" is invalid: metadata.labels: Invalid value: \"Example_Com/team\": prefix part {SubdomainRule}", result.Stderr.Trim());
        Assert.Null(_server.Get("example.com/v1", "Widget", "default", "gizmo"));
    }

    [Fact]
    public async Task Annotate_KeyWithSpace_IsRefused()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));

        var result = await _kubectl.RunAsync("annotate", "widget", "gizmo", "owner team=a");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("metadata.annotations: Invalid value: \"owner team\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", result.Stderr);
    }

    [Fact]
    public async Task Apply_AnnotationsOver256KiBWithLastApplied_IsRefusedWhileCreateFits()
    {
        // 150 KiB fits, but client-side apply copies the whole object into last-applied-configuration: over the limit.
        var notes = new string('x', 150 * 1024);
        var manifest = $"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: big\n  annotations:\n    example.com/notes: {notes}\nspec: {{size: 1}}\n";
        var path = _kubectl.WriteManifest("big.yaml", manifest);

        var applied = await _kubectl.RunAsync("apply", "-f", path);
        Assert.Equal(1, applied.ExitCode);
        Assert.Equal("The Widget \"big\" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes", applied.Stderr.Trim());

        Assert.Contains("widget.example.com/big created", await _kubectl.SucceedAsync("create", "-f", path));
    }

    [Fact]
    public async Task Create_GenerateName_IsCutTo58CharactersAndChecked()
    {
        var prefix = new string('w', 70) + "-";
        var manifest = $"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{generateName: {prefix}}}\nspec: {{size: 1}}\n";

        var created = await _kubectl.SucceedAsync("create", "-f", _kubectl.WriteManifest("gen.yaml", manifest), "-o", "name");

        var name = created.Trim()["widget.example.com/".Length..];
        Assert.Equal(63, name.Length);
        Assert.StartsWith(new string('w', 58), name, StringComparison.Ordinal);

        var bad = await _kubectl.RunAsync("create", "-f", _kubectl.WriteManifest("bad.yaml", manifest.Replace(prefix, "Gizmo-", StringComparison.Ordinal)));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"* metadata.generateName: Invalid value: \"Gizmo-\": {SubdomainRule}", bad.Stderr);
        Assert.Contains("* metadata.name: Invalid value: \"Gizmo-", bad.Stderr);
    }

    [Fact]
    public async Task Apply_UnknownMetadataField_IsAStrictDecodingErrorOrDropped()
    {
        var path = _kubectl.WriteManifest("w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gizmo, labelz: {team: a}}\nspec: {size: 1}\n");

        var strict = await _kubectl.RunAsync("apply", "-f", path);
        var ignored = await _kubectl.RunAsync("apply", "--validate=false", "-f", path);

        Assert.Equal(1, strict.ExitCode);
        Assert.Equal($"Error from server (BadRequest): error when creating \"{path}\": Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"metadata.labelz\"", strict.Stderr.Trim());
        Assert.Equal(0, ignored.ExitCode);
        Assert.Null(_server.Get("example.com/v1", "Widget", "default", "gizmo")!["metadata"]!["labelz"]);
    }

    [Fact]
    public async Task Create_NamespaceWithDot_IsRefusedAsADnsLabel()
    {
        var result = await _kubectl.RunAsync("create", "-f", _kubectl.WriteManifest("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}\n"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The Namespace \"team.a\" is invalid: metadata.name: Invalid value: \"team.a\": must not contain dots", result.Stderr.Trim());
    }

    [Fact]
    public async Task Patch_FinalizerWithoutDomain_WarnsOnceAdded()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));

        var added = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=merge", "-p", """{"metadata":{"finalizers":["cleanup"]}}""");
        var again = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=merge", "-p", """{"metadata":{"labels":{"a":"b"}}}""");

        Assert.Equal(0, added.ExitCode);
        Assert.Equal("Warning: metadata.finalizers: \"cleanup\": prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers", added.Stderr.Trim());
        Assert.Equal("", again.Stderr.Trim());
    }

    [Fact]
    public async Task Patch_FinalizerThatIsNotAQualifiedName_IsRefusedOnUpdateToo()
    {
        // rest.BeforeUpdate runs ObjectMeta's create checks again on every update, finalizer names included.
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));

        var result = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=merge", "-p", """{"metadata":{"finalizers":["example.com/ok","clean up"]}}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The Widget \"gizmo\" is invalid: metadata.finalizers: Invalid value: \"clean up\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            result.Stderr.Trim());
        Assert.Null(_server.Get("example.com/v1", "Widget", "default", "gizmo")!["metadata"]!["finalizers"]);
    }

    [Fact]
    public async Task Apply_OrphanAndForegroundFinalizersTogether_AreRefused()
    {
        var manifest = Manifests.Widget("gizmo", 1).Replace("labels: {}", "labels: {}, finalizers: [orphan, foregroundDeletion]", StringComparison.Ordinal);

        var result = await _kubectl.RunAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", manifest));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            "The Widget \"gizmo\" is invalid: metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set",
            result.Stderr.Trim());
    }

    [Fact]
    public async Task Patch_ThatRenamesTheObject_IsABadRequest()
    {
        // The patch handler's checkName: a patch cannot move an object to another name.
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));

        var result = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=merge", "-p", """{"metadata":{"name":"gadget"}}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error from server (BadRequest): the name of the object (gadget) does not match the name on the URL (gizmo)", result.Stderr.Trim());
    }

    [Fact]
    public async Task Patch_ThatMovesTheObjectToAnotherNamespace_IsABadRequest()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));

        var result = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=json", "-p", """[{"op":"replace","path":"/metadata/namespace","value":"kube-system"}]""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error from server (BadRequest): the namespace of the provided object does not match the namespace sent on the request", result.Stderr.Trim());
    }

    [Fact]
    public async Task Patch_ThatChangesTheUid_IsRefusedAsImmutable()
    {
        await _kubectl.SucceedAsync("apply", "-f", _kubectl.WriteManifest("w.yaml", Manifests.Widget("gizmo", 1)));

        var result = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=merge", "-p", """{"metadata":{"uid":"0b1c2d3e-0000-4000-8000-000000000000"}}""");
        var timestamp = await _kubectl.RunAsync("patch", "widget", "gizmo", "--type=merge", "-p", """{"metadata":{"creationTimestamp":"2020-01-01T00:00:00Z"}}""");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("The Widget \"gizmo\" is invalid: metadata.uid: Invalid value: \"0b1c2d3e-0000-4000-8000-000000000000\": field is immutable", result.Stderr.Trim());

        // A creation timestamp is put back without a word, as rest.BeforeUpdate does.
        Assert.True(timestamp.ExitCode == 0, timestamp.Stderr);
        Assert.Contains("(no change)", timestamp.Stdout, StringComparison.Ordinal);
    }
}
