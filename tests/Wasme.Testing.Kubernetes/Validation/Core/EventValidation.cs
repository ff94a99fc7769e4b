using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Json;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Validation.Core;

/// <summary>
/// Events as kube-apiserver 1.32 judges them (pkg/apis/core/validation/events.go). Both APIs store one internal Event,
/// so errors name the internal fields (<c>involvedObject</c>, <c>message</c>, <c>reportingController</c>) whichever
/// version was written. core/v1 gets the legacy rules only; events.k8s.io/v1 gets them and the strict ones.
/// </summary>
internal static class EventValidation
{
    private const int ReportingInstanceLimit = 128;
    private const int ActionLimit = 128;
    private const int ReasonLimit = 128;
    private const int NoteLimit = 1024;

    public static IEnumerable<FieldError> Validate(ResourceType type, JsonObject obj, JsonObject? old)
    {
        var strict = type.Group == "events.k8s.io";
        var ev = EventView.Of(obj, strict);
        var errors = Legacy(ev).ToList();
        if (!strict)
        {
            return errors;
        }

        if (old is null)
        {
            errors.AddRange(Series(ev));
            if (!ev.HasEventTime)
            {
                errors.Add(FieldError.Required("eventTime"));
            }

            if (ev.Type is not ("Normal" or "Warning"))
            {
                errors.Add(Invalid("type", $"has invalid value: {ev.Type}"));
            }

            if (ev.Raw[ev.FirstTimestampField] is not null)
            {
                errors.Add(Invalid("firstTimestamp", "needs to be unset"));
            }

            if (ev.Raw[ev.LastTimestampField] is not null)
            {
                errors.Add(Invalid("lastTimestamp", "needs to be unset"));
            }

            if (ev.Count != 0)
            {
                errors.Add(Invalid("count", "needs to be unset"));
            }

            if (ev.Raw[ev.SourceField] is JsonObject source && (source.GetString("component") is { Length: > 0 } || source.GetString("host") is { Length: > 0 }))
            {
                errors.Add(Invalid("source", "needs to be unset"));
            }

            return errors;
        }

        var was = EventView.Of(old, strict);
        if (!JsonNode.DeepEquals(ev.Raw["series"], was.Raw["series"]))
        {
            errors.AddRange(Series(ev));
        }

        // The order and the repeated reason are kube-apiserver's.
        errors.AddRange(Immutable("involvedObject", ev.Raw[ev.InvolvedField], was.Raw[was.InvolvedField], ObjectReference));
        errors.AddRange(Immutable("reason", ev.Reason, was.Reason));
        errors.AddRange(Immutable("message", ev.Message, was.Message));
        errors.AddRange(Immutable("source", ev.Raw[ev.SourceField], was.Raw[was.SourceField], EventSource));
        errors.AddRange(Immutable("firstTimestamp", ev.Raw[ev.FirstTimestampField], was.Raw[was.FirstTimestampField], GoTime));
        errors.AddRange(Immutable("lastTimestamp", ev.Raw[ev.LastTimestampField], was.Raw[was.LastTimestampField], GoTime));
        if (ev.Count != was.Count)
        {
            errors.Add(new FieldError("count", "FieldValueInvalid", $"Invalid value: {ev.Count.ToString(CultureInfo.InvariantCulture)}: field is immutable"));
        }

        errors.AddRange(Immutable("reason", ev.Reason, was.Reason));
        errors.AddRange(Immutable("type", ev.Type, was.Type));
        errors.AddRange(Immutable("eventTime", ev.Raw["eventTime"], was.Raw["eventTime"], GoTime));
        errors.AddRange(Immutable("action", ev.Action, was.Action));
        errors.AddRange(Immutable("related", ev.Raw["related"], was.Raw["related"], ObjectReference));
        errors.AddRange(Immutable("reportingController", ev.ReportingController, was.ReportingController));
        errors.AddRange(Immutable("reportingInstance", ev.ReportingInstance, was.ReportingInstance));
        return errors;
    }

    /// <summary>The rules every Event meets, whichever API wrote it.</summary>
    private static IEnumerable<FieldError> Legacy(EventView ev)
    {
        if (!ev.HasEventTime)
        {
            // An old-style Event: its namespace is its object's, or default (or none) for a cluster-scoped object.
            var mismatch = ev.InvolvedNamespace.Length == 0 ? ev.Namespace is not ("" or "default") : ev.Namespace != ev.InvolvedNamespace;
            if (mismatch)
            {
                yield return FieldError.Invalid("involvedObject.namespace", ev.InvolvedNamespace, "does not match event.namespace");
            }
        }
        else
        {
            if (ev.InvolvedNamespace.Length == 0 && ev.Namespace is not ("default" or "kube-system"))
            {
                yield return FieldError.Invalid("involvedObject.namespace", ev.InvolvedNamespace, "does not match event.namespace");
            }

            if (ev.ReportingController.Length == 0)
            {
                yield return FieldError.Required("reportingController");
            }

            foreach (var message in ObjectMetadata.QualifiedName(ev.ReportingController))
            {
                yield return FieldError.Invalid("reportingController", ev.ReportingController, message);
            }

            foreach (var error in RequiredAndShort("reportingInstance", ev.ReportingInstance, ReportingInstanceLimit))
            {
                yield return error;
            }

            foreach (var error in RequiredAndShort("action", ev.Action, ActionLimit))
            {
                yield return error;
            }

            foreach (var error in RequiredAndShort("reason", ev.Reason, ReasonLimit))
            {
                yield return error;
            }

            if (Bytes(ev.Message) > NoteLimit)
            {
                yield return Invalid("message", $"can have at most {NoteLimit} characters");
            }
        }

        foreach (var message in ObjectMetadata.Dns1123Subdomain(ev.Namespace))
        {
            yield return FieldError.Invalid("namespace", ev.Namespace, message);
        }
    }

    private static IEnumerable<FieldError> RequiredAndShort(string field, string value, int limit)
    {
        if (value.Length == 0)
        {
            yield return FieldError.Required(field);
        }

        if (Bytes(value) > limit)
        {
            yield return Invalid(field, $"can have at most {limit} characters");
        }
    }

    private static IEnumerable<FieldError> Series(EventView ev)
    {
        if (ev.Raw["series"] is not JsonObject series)
        {
            yield break;
        }

        if ((Values.Long(series["count"]) ?? 0) < 2)
        {
            yield return Invalid("series.count", "should be at least 2");
        }

        if (series["lastObservedTime"] is null)
        {
            yield return FieldError.Required("series.lastObservedTime");
        }
    }

    private static IEnumerable<FieldError> Immutable(string field, string value, string old)
    {
        if (value != old)
        {
            yield return FieldError.Invalid(field, value, "field is immutable");
        }
    }

    private static IEnumerable<FieldError> Immutable(string field, JsonNode? value, JsonNode? old, Func<JsonNode?, string> goSyntax)
    {
        if (!JsonNode.DeepEquals(value, old))
        {
            yield return new FieldError(field, "FieldValueInvalid", $"Invalid value: {goSyntax(value)}: field is immutable");
        }
    }

    // kube-apiserver prints structs with %#v; the internal package is "core".
    private static string ObjectReference(JsonNode? node)
    {
        if (node is not JsonObject reference)
        {
            return "\"null\"";
        }

        string Field(string name) => GoSyntax.Quote(reference.GetString(name) ?? "");
        return $"core.ObjectReference{{Kind:{Field("kind")}, Namespace:{Field("namespace")}, Name:{Field("name")}, UID:{Field("uid")}, APIVersion:{Field("apiVersion")}, ResourceVersion:{Field("resourceVersion")}, FieldPath:{Field("fieldPath")}}}";
    }

    private static string EventSource(JsonNode? node) =>
        $"core.EventSource{{Component:{GoSyntax.Quote((node as JsonObject)?.GetString("component") ?? "")}, Host:{GoSyntax.Quote((node as JsonObject)?.GetString("host") ?? "")}}}";

    // Times print through their String method: Go's default layout.
    private static string GoTime(JsonNode? node) =>
        node?.AsText() is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var time)
            ? time.UtcDateTime.ToString(time.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) + " +0000 UTC"
            : "0001-01-01 00:00:00 +0000 UTC";

    private static FieldError Invalid(string field, string why) => FieldError.Invalid(field, "", why);

    private static int Bytes(string value) => Encoding.UTF8.GetByteCount(value);

    /// <summary>One Event read through either API's field names.</summary>
    private sealed record EventView(JsonObject Raw, bool Strict)
    {
        public string InvolvedField => Strict ? "regarding" : "involvedObject";

        public string SourceField => Strict ? "deprecatedSource" : "source";

        public string FirstTimestampField => Strict ? "deprecatedFirstTimestamp" : "firstTimestamp";

        public string LastTimestampField => Strict ? "deprecatedLastTimestamp" : "lastTimestamp";

        public string Namespace => Raw.Namespace();

        public string InvolvedNamespace => (Raw[InvolvedField] as JsonObject)?.GetString("namespace") ?? "";

        public bool HasEventTime => Raw["eventTime"] is not null;

        public string ReportingController => Raw.GetString(Strict ? "reportingController" : "reportingComponent") ?? "";

        public string ReportingInstance => Raw.GetString("reportingInstance") ?? "";

        public string Action => Raw.GetString("action") ?? "";

        public string Reason => Raw.GetString("reason") ?? "";

        public string Message => Raw.GetString(Strict ? "note" : "message") ?? "";

        public string Type => Raw.GetString("type") ?? "";

        public long Count => Values.Long(Raw[Strict ? "deprecatedCount" : "count"]) ?? 0;

        public static EventView Of(JsonObject obj, bool strict) => new(obj, strict);
    }
}
