using System.Text;
using System.Text.RegularExpressions;
using Wasme.FilterTesting.Model;
using Wasme.Istio.Yaml;
using Wasme.ProxyWasm;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Wasme.FilterTesting.Parsing;

/// <summary>Reads a test file (docs/testing-filters.md, schema in docs/schemas/filter-test.schema.json).</summary>
public static partial class FilterTestParser
{
    private const int MaxRepeat = 1_000_000;
    private static readonly string[] FileKeys = ["filters", "node", "sharedData", "streamIdleTimeout", "maxBufferedBody", "queues", "tests"];
    private static readonly string[] GivenKeys = ["filters", "config", "node", "sharedData", "streamIdleTimeout", "maxBufferedBody", "queues"];
    private static readonly string[] FilterKeys = ["module", "name", "rootId", "vmId", "config", "vmConfig", "env", "failurePolicy"];
    private static readonly string[] CaseKeys = ["name", "given", "when", "then"];
    private static readonly string[] WhenKeys = ["advance", "request", "upstream", "httpCalls", "grpcCalls", "repeat", "queueMessages"];
    private static readonly string[] QueueMessageKeys = ["queue", "vmId", "message"];
    private static readonly string[] RequestKeys = ["method", "path", "authority", "headers", "body", "bodyChunks", "trailers"];
    private static readonly string[] UpstreamKeys = ["status", "headers", "body", "bodyChunks", "trailers"];
    private static readonly string[] CallAnswerKeys = ["status", "headers", "body", "delay", "fail"];
    private static readonly string[] ThenKeys = ["response", "upstream", "httpCalls", "grpcCalls", "logs", "metrics", "sharedData", "filterFailed", "queues"];
    private static readonly string[] ResponseKeys = ["status", "headers", "body", "trailers", "reset"];
    private static readonly string[] UpstreamExpectationKeys = ["called", "method", "path", "headers", "body", "trailers"];
    private static readonly string[] CallExpectationKeys = ["cluster", "headers", "body"];
    private static readonly string[] LogKeys = ["level", "message", "contains", "matches", "absent"];
    private static readonly string[] MatcherKeys = ["contains", "matches", "absent"];
    private static readonly string[] BodyMatcherKeys = ["contains", "matches", "json", "empty"];

    public static FilterTestFile Parse(string path, string text)
    {
        var values = new YamlValues(path);
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new DepthLimitedParser(new Parser(scanner)));
        }
        catch (YamlException ex)
        {
            throw new FilterTestFileException(path, (int)ex.Start.Line, (int)ex.Start.Column, $"not valid YAML: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way (not with a YamlException) on some malformed input, such as a
            // flow list or mapping left open across lines; where it stopped is the nearest place to look.
            throw new FilterTestFileException(path, (int)scanner.CurrentPosition.Line, (int)scanner.CurrentPosition.Column,
                "not valid YAML: check that every '[' and '{' before this point is closed with ']' or '}', and that strings holding ': ' are quoted");
        }

        if (stream.Documents.Count != 1)
        {
            throw new FilterTestFileException(path, 1, 1, "a test file holds one YAML document with a 'tests:' list");
        }

        values.RefuseExpansionBomb(stream.Documents[0].RootNode);
        values.RefuseTags(stream.Documents[0].RootNode);
        var root = values.Mapping(stream.Documents[0].RootNode, "the test file");
        var entries = values.Entries(root, "the test file", FileKeys);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var given = ReadGiven(values, entries, new GivenSpec(), directory, "the test file");
        if (!entries.TryGetValue("tests", out var testsNode))
        {
            throw values.Error(root, "the file has no 'tests:' list; add one case with name, when and then");
        }

        var cases = new List<FilterTestCase>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var caseNodes = values.Sequence(testsNode, "tests").Children;
        for (var i = 0; i < caseNodes.Count; i++)
        {
            var caseNode = caseNodes[i];
            var next = i + 1 < caseNodes.Count ? (int)caseNodes[i + 1].Start.Index : text.Length;
            var testCase = ReadCase(values, values.Mapping(caseNode, "a test case"), given, directory, next);
            if (!names.Add(testCase.Name))
            {
                throw values.Error(caseNode, $"two cases are named '{testCase.Name}'; give each a distinct name");
            }

            cases.Add(testCase);
        }

        return new FilterTestFile(path, text, cases);
    }

    private static GivenSpec ReadGiven(YamlValues values, Dictionary<string, YamlNode> entries, GivenSpec inherited, string directory, string where)
    {
        var given = inherited;
        if (entries.TryGetValue("filters", out var filters))
        {
            var list = values.Sequence(filters, $"filters of {where}").Children
                .Select(node => ReadFilter(values, values.Mapping(node, "a filter"), directory))
                .ToList();
            given = given with { Filters = list.Count > 0 ? list : throw values.Error(filters, "filters must list at least one filter") };
        }

        if (entries.TryGetValue("config", out var config))
        {
            var bytes = ConfigurationBytes(values, config);
            given = given with { Filters = given.Filters.Select(f => f with { Configuration = bytes }).ToList() };
        }

        if (entries.TryGetValue("node", out var node))
        {
            given = given with { Node = Flatten(values, node, "node") };
        }

        if (entries.TryGetValue("sharedData", out var shared))
        {
            given = given with { SharedData = values.StringMap(shared, "sharedData") };
        }

        if (entries.TryGetValue("streamIdleTimeout", out var idle))
        {
            var timeout = values.Duration(idle, "streamIdleTimeout");
            given = given with { StreamIdleTimeout = timeout > TimeSpan.Zero ? timeout : throw values.Error(idle, "streamIdleTimeout must be above zero") };
        }

        if (entries.TryGetValue("maxBufferedBody", out var limit))
        {
            given = given with { BodyBufferLimit = values.Integer(limit, "maxBufferedBody", 1, 1 << 30) };
        }

        if (entries.TryGetValue("queues", out var queues))
        {
            given = given with { Queues = values.Sequence(queues, "queues").Children.Select(q => values.Scalar(q, "a queue name")).ToList() };
        }

        return given;
    }

    private static FilterSpec ReadFilter(YamlValues values, YamlMappingNode node, string directory)
    {
        var entries = values.Entries(node, "a filter", FilterKeys);
        var filter = new FilterSpec();
        if (entries.TryGetValue("module", out var module))
        {
            filter = filter with { Module = Path.GetFullPath(Path.Combine(directory, values.Scalar(module, "module"))) };
        }

        if (entries.TryGetValue("name", out var name))
        {
            filter = filter with { Name = values.Scalar(name, "name") };
        }

        if (entries.TryGetValue("rootId", out var rootId))
        {
            filter = filter with { RootId = values.Scalar(rootId, "rootId") };
        }

        if (entries.TryGetValue("vmId", out var vmId))
        {
            filter = filter with { VmId = values.Scalar(vmId, "vmId") };
        }

        if (entries.TryGetValue("config", out var config))
        {
            filter = filter with { Configuration = ConfigurationBytes(values, config) };
        }

        if (entries.TryGetValue("vmConfig", out var vmConfig))
        {
            filter = filter with { VmConfiguration = ConfigurationBytes(values, vmConfig) };
        }

        if (entries.TryGetValue("env", out var env))
        {
            filter = filter with { Environment = values.StringMap(env, "env") };
        }

        if (entries.TryGetValue("failurePolicy", out var policy))
        {
            filter = filter with
            {
                FailurePolicy = values.Scalar(policy, "failurePolicy") switch
                {
                    "fail-closed" => FailurePolicy.FailClosed,
                    "fail-open" => FailurePolicy.FailOpen,
                    "reload" => FailurePolicy.Reload,
                    var other => throw values.Error(policy, $"failurePolicy must be fail-closed, fail-open or reload, not '{other}'"),
                },
            };
        }

        return filter;
    }

    /// <summary>Configuration as Envoy hands it over: a string as its bytes, anything else as JSON.</summary>
    private static byte[] ConfigurationBytes(YamlValues values, YamlNode node) =>
        node is YamlScalarNode ? Encoding.UTF8.GetBytes(values.Scalar(node, "config")) : Encoding.UTF8.GetBytes(JsonText.Write(values.ToJson(node)));

    /// <summary>Nested node properties become dotted names: <c>metadata: {ISTIO_VERSION: 1.22}</c> is <c>metadata.ISTIO_VERSION</c>.</summary>
    private static Dictionary<string, string> Flatten(YamlValues values, YamlNode node, string prefix)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in values.Mapping(node, prefix).Children)
        {
            var key = values.Scalar(keyNode, $"a key of {prefix}");
            if (value is YamlMappingNode)
            {
                foreach (var (inner, text) in Flatten(values, value, $"{prefix}.{key}"))
                {
                    result[$"{key}.{inner}"] = text;
                }
            }
            else
            {
                result[key] = values.Scalar(value, $"{prefix}.{key}");
            }
        }

        return result;
    }

    private static FilterTestCase ReadCase(YamlValues values, YamlMappingNode node, GivenSpec fileGiven, string directory, int nextCaseStart)
    {
        var entries = values.Entries(node, "a test case", CaseKeys);
        var name = entries.TryGetValue("name", out var nameNode) ? values.Scalar(nameNode, "name") : throw values.Error(node, "a test case needs a name");
        if (string.IsNullOrWhiteSpace(name) || name.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'))
        {
            // Names go to terminals and CI logs as written: a line break or escape in one could fake a line there
            // (a GitHub Actions '::' command, a PASS line).
            throw values.Error(nameNode, "a case name must be one line of visible text, without line breaks, tabs or other control characters; write the name on one line");
        }

        var given = fileGiven;
        if (entries.TryGetValue("given", out var givenNode))
        {
            given = ReadGiven(values, values.Entries(values.Mapping(givenNode, "given"), "given", GivenKeys), fileGiven, directory, $"case '{name}'");
        }

        var when = entries.TryGetValue("when", out var whenNode) ? ReadWhen(values, whenNode) : new WhenSpec();
        var then = entries.TryGetValue("then", out var thenNode) ? ReadThen(values, thenNode) : new ThenSpec();
        // --update edits text in place: only where this case wrote the node itself. An alias resolves to another
        // case's node, and an anchor or tag stands before the value; those are left for the author to edit.
        var thenMapping = thenNode as YamlMappingNode;
        if (thenMapping is not null && !WrittenHere(thenMapping, node, nextCaseStart))
        {
            thenMapping = null;
        }

        var responseNode = thenMapping?.Children.FirstOrDefault(p => p.Key is YamlScalarNode { Value: "response" }).Value;
        var bound = nextCaseStart;
        if (responseNode is not null)
        {
            var after = thenMapping!.Children.Keys.Concat(node.Children.Keys).Select(k => (int)k.Start.Index).Where(i => i > responseNode.Start.Index);
            bound = after.Append(nextCaseStart).Min();
        }

        var location = new YamlLocation(
            (int)node.Start.Index, nextCaseStart, (int)node.Start.Column - 1,
            thenMapping is null ? null : (int)thenMapping.Start.Index,
            thenMapping?.Style == MappingStyle.Flow,
            thenMapping is { Children.Count: 0 },
            thenMapping is null ? null : (int)thenMapping.Start.Column - 1,
            responseNode is YamlMappingNode ? (int)responseNode.Start.Index : null,
            responseNode is YamlMappingNode ? bound : null,
            Editable: (thenNode is null || thenMapping is not null) && (responseNode is null || WrittenHere(responseNode, node, nextCaseStart)));
        return new FilterTestCase(name, (int)node.Start.Line, given, when, then, location);
    }

    private static bool WrittenHere(YamlNode value, YamlNode caseNode, int nextCaseStart) =>
        value.Anchor.IsEmpty && value.Tag.IsEmpty && value.Start.Index >= caseNode.Start.Index && value.Start.Index < nextCaseStart;

    private static WhenSpec ReadWhen(YamlValues values, YamlNode node)
    {
        var entries = values.Entries(values.Mapping(node, "when"), "when", WhenKeys);
        var when = new WhenSpec();
        if (entries.TryGetValue("advance", out var advance))
        {
            when = when with { Advance = values.Duration(advance, "advance") };
        }

        if (entries.TryGetValue("request", out var request))
        {
            var fields = values.Entries(values.Mapping(request, "request"), "request", RequestKeys);
            when = when with
            {
                Request = new RequestSpec
                {
                    Method = fields.TryGetValue("method", out var method) ? values.Scalar(method, "method") : "GET",
                    Path = fields.TryGetValue("path", out var path) ? RequestPath(values, path) : "/",
                    Authority = fields.TryGetValue("authority", out var authority) ? values.Scalar(authority, "authority") : "example.com",
                    Headers = fields.TryGetValue("headers", out var headers) ? values.Pairs(headers, "request.headers") : [],
                    Body = Body(values, fields, "request"),
                    Trailers = fields.TryGetValue("trailers", out var trailers) ? values.Pairs(trailers, "request.trailers") : [],
                },
            };
        }

        if (entries.TryGetValue("upstream", out var upstream))
        {
            var fields = values.Entries(values.Mapping(upstream, "upstream"), "upstream", UpstreamKeys);
            when = when with
            {
                Upstream = new UpstreamSpec
                {
                    Status = fields.TryGetValue("status", out var status) ? values.Integer(status, "upstream.status", 100, 599) : 200,
                    Headers = fields.TryGetValue("headers", out var headers) ? values.Pairs(headers, "upstream.headers") : [],
                    Body = Body(values, fields, "upstream"),
                    Trailers = fields.TryGetValue("trailers", out var trailers) ? values.Pairs(trailers, "upstream.trailers") : [],
                },
            };
        }

        if (entries.TryGetValue("httpCalls", out var calls))
        {
            var answers = new Dictionary<string, CallAnswer>(StringComparer.Ordinal);
            foreach (var (clusterNode, answerNode) in values.Mapping(calls, "httpCalls").Children)
            {
                var cluster = values.Scalar(clusterNode, "a cluster name in httpCalls");
                var fields = values.Entries(values.Mapping(answerNode, $"httpCalls.{cluster}"), $"httpCalls.{cluster}", CallAnswerKeys);
                var body = fields.TryGetValue("body", out var bodyNode) ? BodyBytes(values, bodyNode, $"httpCalls.{cluster}.body") : [];
                answers[cluster] = new CallAnswer
                {
                    Status = fields.TryGetValue("status", out var status) ? values.Integer(status, $"httpCalls.{cluster}.status", 100, 599) : 200,
                    Headers = fields.TryGetValue("headers", out var headers) ? values.Pairs(headers, $"httpCalls.{cluster}.headers") : [],
                    Body = body,
                    Delay = fields.TryGetValue("delay", out var delay) ? values.Duration(delay, $"httpCalls.{cluster}.delay") : TimeSpan.Zero,
                    Fail = fields.TryGetValue("fail", out var fail) && values.Boolean(fail, $"httpCalls.{cluster}.fail"),
                };
            }

            when = when with { HttpCalls = answers };
        }

        if (entries.TryGetValue("grpcCalls", out var grpcCalls))
        {
            when = when with { GrpcCalls = GrpcAnswers(values, grpcCalls) };
        }

        if (entries.TryGetValue("repeat", out var repeat))
        {
            when = when with { Repeat = values.Integer(repeat, "repeat", 1, MaxRepeat) };
        }

        if (entries.TryGetValue("queueMessages", out var messages))
        {
            when = when with
            {
                QueueMessages = values.Sequence(messages, "queueMessages").Children.Select(message =>
                {
                    var fields = values.Entries(values.Mapping(message, "a queue message"), "a queue message", QueueMessageKeys);
                    return new QueueMessage(
                        fields.TryGetValue("queue", out var queue) ? values.Scalar(queue, "queue") : throw values.Error(message, "a queue message needs the queue's name (queue: NAME)"),
                        fields.TryGetValue("vmId", out var vmId) ? values.Scalar(vmId, "vmId") : null,
                        fields.TryGetValue("message", out var text) ? BodyBytes(values, text, "a queue message") : throw values.Error(message, "a queue message needs its message (text, or YAML sent as JSON)"),
                        (int)message.Start.Line);
                }).ToList(),
            };
        }

        return when;
    }

    private static string RequestPath(YamlValues values, YamlNode node)
    {
        var path = values.Scalar(node, "path");
        return path.StartsWith('/') ? path : throw values.Error(node, $"path must start with '/', for example /api?x=1 (was '{path}')");
    }

    private static List<byte[]> Body(YamlValues values, Dictionary<string, YamlNode> fields, string where)
    {
        if (fields.TryGetValue("body", out var body))
        {
            return fields.ContainsKey("bodyChunks")
                ? throw values.Error(body, $"{where} has both body and bodyChunks; keep one")
                : [BodyBytes(values, body, $"{where}.body")];
        }

        return fields.TryGetValue("bodyChunks", out var chunks)
            ? values.Sequence(chunks, $"{where}.bodyChunks").Children.Select(c => values.Bytes(c, $"{where}.bodyChunks")).ToList()
            : [];
    }

    /// <summary>A body written as text is sent as is, one tagged <c>!!binary</c> as its bytes; a mapping or list is sent as JSON.</summary>
    private static byte[] BodyBytes(YamlValues values, YamlNode node, string what) => node is YamlScalarNode
        ? values.Bytes(node, what)
        : Encoding.UTF8.GetBytes(values.ToJson(node)?.ToJsonString() ?? "null");

    private static ThenSpec ReadThen(YamlValues values, YamlNode node)
    {
        var entries = values.Entries(values.Mapping(node, "then"), "then", ThenKeys);
        var then = new ThenSpec();
        if (entries.TryGetValue("response", out var response))
        {
            var fields = values.Entries(values.Mapping(response, "then.response"), "then.response", ResponseKeys);
            then = then with
            {
                Response = new ResponseExpectation
                {
                    Status = fields.TryGetValue("status", out var status) ? values.Integer(status, "then.response.status", 100, 599) : null,
                    Headers = fields.TryGetValue("headers", out var headers) ? HeaderMatchers(values, headers, "then.response.headers") : new Dictionary<string, HeaderMatcher>(),
                    Body = fields.TryGetValue("body", out var body) ? BodyMatcherOf(values, body, "then.response.body") : null,
                    Trailers = fields.TryGetValue("trailers", out var trailers) ? HeaderMatchers(values, trailers, "then.response.trailers") : new Dictionary<string, HeaderMatcher>(),
                    Reset = fields.TryGetValue("reset", out var reset) ? values.Boolean(reset, "then.response.reset") : null,
                },
            };
        }

        if (entries.TryGetValue("upstream", out var upstream))
        {
            var fields = values.Entries(values.Mapping(upstream, "then.upstream"), "then.upstream", UpstreamExpectationKeys);
            if (fields.TryGetValue("trailers", out var upstreamTrailers))
            {
                // Named in the key list for this message: left unchecked, any expectation would pass.
                throw values.Error(upstreamTrailers, "then.upstream.trailers cannot be checked: request trailers are not forwarded to the upstream, as in wasme run (docs/run.md); remove it (the filters still see when.request.trailers)");
            }

            then = then with
            {
                Upstream = new UpstreamExpectation
                {
                    Called = fields.TryGetValue("called", out var called) ? values.Boolean(called, "then.upstream.called") : null,
                    Method = fields.TryGetValue("method", out var method) ? values.Scalar(method, "then.upstream.method") : null,
                    Path = fields.TryGetValue("path", out var path) ? TextMatcherOf(values, path, "then.upstream.path") : null,
                    Headers = fields.TryGetValue("headers", out var headers) ? HeaderMatchers(values, headers, "then.upstream.headers") : new Dictionary<string, HeaderMatcher>(),
                    Body = fields.TryGetValue("body", out var body) ? BodyMatcherOf(values, body, "then.upstream.body") : null,
                },
            };
        }

        if (entries.TryGetValue("httpCalls", out var calls))
        {
            then = then with
            {
                HttpCalls = values.Sequence(calls, "then.httpCalls").Children.Select(call =>
                {
                    var fields = values.Entries(values.Mapping(call, "a call in then.httpCalls"), "a call in then.httpCalls", CallExpectationKeys);
                    return new CallExpectation
                    {
                        Cluster = fields.TryGetValue("cluster", out var cluster) ? values.Scalar(cluster, "cluster") : throw values.Error(call, "an expected call needs its cluster"),
                        Headers = fields.TryGetValue("headers", out var headers) ? HeaderMatchers(values, headers, "the call's headers") : new Dictionary<string, HeaderMatcher>(),
                        Body = fields.TryGetValue("body", out var body) ? BodyMatcherOf(values, body, "the call's body") : null,
                    };
                }).ToList(),
            };
        }

        if (entries.TryGetValue("grpcCalls", out var grpcCalls))
        {
            then = then with { GrpcCalls = GrpcCallExpectations(values, grpcCalls) };
        }

        if (entries.TryGetValue("logs", out var logs))
        {
            then = then with { Logs = values.Sequence(logs, "then.logs").Children.Select(log => LogExpectationOf(values, log)).ToList() };
        }

        if (entries.TryGetValue("metrics", out var metrics))
        {
            then = then with
            {
                Metrics = values.Mapping(metrics, "then.metrics").Children.ToDictionary(
                    p => values.Scalar(p.Key, "a metric name"), p => values.Long(p.Value, $"metric {values.Scalar(p.Key, "a metric name")}"), StringComparer.Ordinal),
            };
        }

        if (entries.TryGetValue("sharedData", out var shared))
        {
            then = then with
            {
                SharedData = values.Mapping(shared, "then.sharedData").Children.ToDictionary(
                    p => values.Scalar(p.Key, "a shared data key"), p => TextMatcherOf(values, p.Value, "a shared data value"), StringComparer.Ordinal),
            };
        }

        if (entries.TryGetValue("filterFailed", out var failed))
        {
            then = then with { FilterFailed = values.Boolean(failed, "then.filterFailed") };
        }

        if (entries.TryGetValue("queues", out var queues))
        {
            then = then with
            {
                Queues = values.Mapping(queues, "then.queues").Children.ToDictionary(
                    p => values.Scalar(p.Key, "a queue name"),
                    p => (IReadOnlyList<TextMatcher>)values.Sequence(p.Value, $"then.queues.{values.Scalar(p.Key, "a queue name")}").Children
                        .Select(m => TextMatcherOf(values, m, "a queue message")).ToList(),
                    StringComparer.Ordinal),
            };
        }

        return then;
    }

    private static Dictionary<string, HeaderMatcher> HeaderMatchers(YamlValues values, YamlNode node, string what)
    {
        var matchers = new Dictionary<string, HeaderMatcher>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyNode, value) in values.Mapping(node, what).Children)
        {
            var name = values.Scalar(keyNode, $"a header name in {what}");
            if (matchers.ContainsKey(name))
            {
                // Otherwise the later one silently replaces the earlier, and the case checks less than it says.
                throw values.Error(keyNode, $"'{name}' appears twice in {what} (header names ignore case); keep one");
            }

            if (value is YamlMappingNode mapping)
            {
                var fields = values.Entries(mapping, $"{what}.{name}", MatcherKeys);
                if (fields.TryGetValue("absent", out var absent) && values.Boolean(absent, $"{what}.{name}.absent"))
                {
                    matchers[name] = fields.Count == 1 ? new HeaderMatcher(null, Absent: true) : throw values.Error(mapping, $"{what}.{name}: absent cannot be combined with contains or matches");
                    continue;
                }
            }

            matchers[name] = new HeaderMatcher(TextMatcherOf(values, value, $"{what}.{name}"), Absent: false);
        }

        return matchers;
    }

    private static TextMatcher TextMatcherOf(YamlValues values, YamlNode node, string what)
    {
        if (node is YamlScalarNode)
        {
            return TextMatcher.Equal(values.Scalar(node, what));
        }

        var fields = values.Entries(values.Mapping(node, what), what, [.. MatcherKeys.Where(k => k != "absent")]);
        if (fields.Count != 1)
        {
            throw values.Error(node, $"{what} needs one of: contains, matches");
        }

        return fields.TryGetValue("contains", out var contains)
            ? new TextMatcher(null, values.Scalar(contains, $"{what}.contains"), null)
            : new TextMatcher(null, null, Regex(values, fields["matches"], $"{what}.matches"));
    }

    private static BodyMatcher BodyMatcherOf(YamlValues values, YamlNode node, string what)
    {
        if (YamlValues.IsBinary(node))
        {
            return new BodyMatcher(null, null, Empty: false, values.Bytes(node, what));
        }

        if (node is YamlScalarNode)
        {
            return new BodyMatcher(TextMatcher.Equal(values.Scalar(node, what)), null, Empty: false);
        }

        var fields = values.Entries(values.Mapping(node, what), what, BodyMatcherKeys);
        if (fields.Count != 1)
        {
            throw values.Error(node, $"{what} needs exactly one of: contains, matches, json, empty (or the exact body as text, or as !!binary base64)");
        }

        var (key, value) = fields.First();
        return key switch
        {
            "contains" => new BodyMatcher(new TextMatcher(null, values.Scalar(value, $"{what}.contains"), null), null, false),
            "matches" => new BodyMatcher(new TextMatcher(null, null, Regex(values, value, $"{what}.matches")), null, false),
            "json" => new BodyMatcher(null, values.ToJson(value) ?? throw values.Error(value, $"{what}.json must be a JSON value, not null"), false),
            _ => values.Boolean(value, $"{what}.empty") ? new BodyMatcher(null, null, Empty: true) : throw values.Error(value, $"{what}.empty can only be true"),
        };
    }

    private static LogExpectation LogExpectationOf(YamlValues values, YamlNode node)
    {
        var fields = values.Entries(values.Mapping(node, "a log expectation"), "a log expectation", LogKeys);
        string? level = null;
        if (fields.TryGetValue("level", out var levelNode))
        {
            level = values.Scalar(levelNode, "level");
            if (level is not ("trace" or "debug" or "info" or "warn" or "error" or "critical"))
            {
                throw values.Error(levelNode, $"level must be trace, debug, info, warn, error or critical, not '{level}'");
            }
        }

        TextMatcher message = fields.TryGetValue("contains", out var contains) ? new TextMatcher(null, values.Scalar(contains, "contains"), null)
            : fields.TryGetValue("matches", out var matches) ? new TextMatcher(null, null, Regex(values, matches, "matches"))
            : fields.TryGetValue("message", out var exact) ? TextMatcher.Equal(values.Scalar(exact, "message"))
            : throw values.Error(node, "a log expectation needs message, contains or matches");
        var absent = fields.TryGetValue("absent", out var absentNode) && values.Boolean(absentNode, "absent");
        return new LogExpectation(level, message, absent);
    }

    private static Regex Regex(YamlValues values, YamlNode node, string what)
    {
        var pattern = values.Scalar(node, what);
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw values.Error(node, $"{what} is not a valid regular expression: {ex.Message}");
        }
    }
}
