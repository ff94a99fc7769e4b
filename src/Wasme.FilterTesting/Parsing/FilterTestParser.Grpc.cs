using Wasme.FilterTesting.Model;
using YamlDotNet.RepresentationModel;

namespace Wasme.FilterTesting.Parsing;

/// <summary><c>when.grpcCalls</c> and <c>then.grpcCalls</c>.</summary>
public static partial class FilterTestParser
{
    private static readonly string[] GrpcAnswerKeys = ["service", "method", "initialMetadata", "messages", "trailers", "status", "message", "delay", "fail"];
    private static readonly string[] GrpcExpectationKeys = ["cluster", "service", "method", "metadata", "messages", "cancelled"];

    private static Dictionary<string, IReadOnlyList<GrpcAnswer>> GrpcAnswers(YamlValues values, YamlNode node)
    {
        var answers = new Dictionary<string, IReadOnlyList<GrpcAnswer>>(StringComparer.Ordinal);
        foreach (var (clusterNode, list) in values.Mapping(node, "grpcCalls").Children)
        {
            var cluster = values.Scalar(clusterNode, "a cluster name in grpcCalls");
            var where = $"grpcCalls.{cluster}";
            answers[cluster] = values.Sequence(list, $"{where} (a list of answers, each matched by service and method)").Children.Select(answerNode =>
            {
                var fields = values.Entries(values.Mapping(answerNode, $"an answer in {where}"), $"an answer in {where}", GrpcAnswerKeys);
                return new GrpcAnswer
                {
                    Service = fields.TryGetValue("service", out var service) ? values.Scalar(service, $"{where}.service") : null,
                    Method = fields.TryGetValue("method", out var method) ? values.Scalar(method, $"{where}.method") : null,
                    InitialMetadata = fields.TryGetValue("initialMetadata", out var initial) ? values.Pairs(initial, $"{where}.initialMetadata") : [],
                    Messages = fields.TryGetValue("messages", out var messages)
                        ? values.Sequence(messages, $"{where}.messages").Children.Select(m => MessageBytes(values, m, $"{where}.messages")).ToList()
                        : [],
                    Trailers = fields.TryGetValue("trailers", out var trailers) ? values.Pairs(trailers, $"{where}.trailers") : [],
                    Status = fields.TryGetValue("status", out var status) ? values.Integer(status, $"{where}.status (a gRPC status code)", 0, 16) : 0,
                    Message = fields.TryGetValue("message", out var message) ? values.Scalar(message, $"{where}.message") : string.Empty,
                    Delay = fields.TryGetValue("delay", out var delay) ? values.Duration(delay, $"{where}.delay") : TimeSpan.Zero,
                    Fail = fields.TryGetValue("fail", out var fail) && values.Boolean(fail, $"{where}.fail"),
                };
            }).ToList();
        }

        return answers;
    }

    private static List<GrpcCallExpectation> GrpcCallExpectations(YamlValues values, YamlNode node)
        => values.Sequence(node, "then.grpcCalls").Children.Select(call =>
        {
            const string what = "a call in then.grpcCalls";
            var fields = values.Entries(values.Mapping(call, what), what, GrpcExpectationKeys);
            return new GrpcCallExpectation
            {
                Cluster = fields.TryGetValue("cluster", out var cluster) ? values.Scalar(cluster, "cluster") : throw values.Error(call, "an expected gRPC call needs its cluster"),
                Service = fields.TryGetValue("service", out var service) ? values.Scalar(service, "service") : null,
                Method = fields.TryGetValue("method", out var method) ? values.Scalar(method, "method") : null,
                Metadata = fields.TryGetValue("metadata", out var metadata) ? HeaderMatchers(values, metadata, "the call's metadata") : new Dictionary<string, HeaderMatcher>(),
                Messages = fields.TryGetValue("messages", out var messages)
                    ? values.Sequence(messages, "the call's messages").Children.Select(m => MessageExpectationOf(values, m)).ToList()
                    : null,
                Cancelled = fields.TryGetValue("cancelled", out var cancelled) ? values.Boolean(cancelled, "cancelled") : null,
            };
        }).ToList();

    /// <summary>A message as text, or <c>{base64: ...}</c> for bytes (a serialized protobuf, say).</summary>
    private static byte[] MessageBytes(YamlValues values, YamlNode node, string what)
    {
        if (node is YamlScalarNode)
        {
            return values.Bytes(node, what);
        }

        var fields = values.Entries(values.Mapping(node, what), what, "base64");
        return fields.TryGetValue("base64", out var base64) ? FromBase64(values, base64, what) : throw values.Error(node, $"{what}: a message is text or {{base64: ...}}");
    }

    private static MessageExpectation MessageExpectationOf(YamlValues values, YamlNode node)
    {
        if (node is YamlMappingNode mapping && mapping.Children.Count == 1 && mapping.Children.Keys.Single() is YamlScalarNode { Value: "base64" })
        {
            return new MessageExpectation(FromBase64(values, mapping.Children.Values.Single(), "the call's messages"), null);
        }

        if (YamlValues.IsBinary(node))
        {
            return new MessageExpectation(values.Bytes(node, "the call's messages"), null);
        }

        return new MessageExpectation(null, BodyMatcherOf(values, node, "the call's messages"));
    }

    private static byte[] FromBase64(YamlValues values, YamlNode node, string what)
    {
        try
        {
            return Convert.FromBase64String(values.Scalar(node, $"{what}.base64"));
        }
        catch (FormatException)
        {
            throw values.Error(node, $"{what}.base64 is not base64; write the bytes as standard base64 (A-Z, a-z, 0-9, +, /, = padding)");
        }
    }
}
