using System.Text.Json;
using Json.Schema;
using Wasme.FilterTesting.Parsing;
using YamlDotNet.RepresentationModel;

namespace Wasme.FilterTesting.Tests;

/// <summary>The published JSON Schema (docs/schemas) agrees with the parser: what one accepts the other does.</summary>
public sealed class SchemaTests
{
    private static readonly string Root = FindRoot();
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(Root, "docs", "schemas", "filter-test.schema.json"));

    public static TheoryData<string> TemplateTestFiles() =>
        [.. Directory.GetFiles(Path.Combine(Root, "templates"), "*.yaml", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Root, f))];

    [Theory]
    [MemberData(nameof(TemplateTestFiles))]
    public void Every_template_test_file_is_valid_for_the_schema_and_the_parser(string relative)
    {
        var path = Path.Combine(Root, relative);
        var text = File.ReadAllText(path);

        Assert.True(Validate(text), $"{relative} does not validate against the schema");
        Assert.NotEmpty(FilterTestParser.Parse(path, text).Cases);
    }

    [Theory]
    [InlineData("tests:\n  - name: a\n    then: {respons: {status: 200}}\n")]
    [InlineData("tests:\n  - name: a\n    when: {advance: soon}\n")]
    [InlineData("tests:\n  - name: a\n    then: {response: {body: {contains: a, matches: b}}}\n")]
    [InlineData("filters: [{failurePolicy: never}]\ntests: []\n")]
    [InlineData("tests:\n  - name: a\n    when: {queueMessages: [{message: hi}]}\n")]
    [InlineData("tests:\n  - name: a\n    then: {queues: {events: hi}}\n")]
    [InlineData("tests:\n  - name: a\n    when: {grpcCalls: {auth: [{status: 99}]}}\n")]
    [InlineData("tests:\n  - name: a\n    when: {grpcCalls: {auth: [{messages: [{hex: 00}]}]}}\n")]
    [InlineData("tests:\n  - name: a\n    then: {upstream: {trailers: {x-t: a}}}\n")]
    public void What_the_parser_refuses_the_schema_refuses_too(string yaml)
    {
        Assert.ThrowsAny<FilterTestFileException>(() => FilterTestParser.Parse("t.yaml", yaml));
        Assert.False(Validate(yaml));
    }

    [Theory]
    [InlineData("queues: [events]\ntests:\n  - name: a\n    given: {queues: [audit]}\n    when: {queueMessages: [{queue: config, vmId: svc, message: strict}, {queue: config, message: {mode: lax}}]}\n    then: {queues: {events: [/a, {contains: b}]}}\n")]
    public void What_the_parser_accepts_the_schema_accepts_too(string yaml)
    {
        Assert.NotEmpty(FilterTestParser.Parse("t.yaml", yaml).Cases);
        Assert.True(Validate(yaml));
    }

    private static bool Validate(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var json = new YamlValues("t.yaml").ToJson(stream.Documents[0].RootNode)!.ToJsonString();
        using var document = JsonDocument.Parse(json);
        return Schema.Evaluate(document.RootElement).IsValid;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wasme.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Wasme.slnx not found");
    }
}
