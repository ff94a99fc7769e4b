using System.Text.Json.Nodes;
using Wasme.Testing.Kubernetes.Http;
using Wasme.Testing.Kubernetes.Resources;

namespace Wasme.Testing.Kubernetes.Admission.Istio;

/// <summary>
/// istiod's validating webhook (<c>validation.istio.io</c> in the <c>istiod-default-validator</c>
/// ValidatingWebhookConfiguration) for the two kinds wasme writes: extensions.istio.io WasmPlugin and
/// networking.istio.io EnvoyFilter, after istio/istio pkg/webhooks/validation/server and pkg/config/validation.
/// Its rules cover CREATE and UPDATE of every resource of Istio's groups, so status writes, deletes and other kinds
/// pass here (other Istio kinds are not modelled). kube-apiserver calls it after schema validation; a denial is a 400
/// whose message is <c>admission webhook "validation.istio.io" denied the request: configuration is invalid: ...</c>,
/// and istiod's warnings reach the client as <c>Warning</c> headers. istiod is always reachable here, so the
/// failurePolicy (Ignore until istiod patches it to Fail) never comes into play.
/// </summary>
internal sealed class IstioValidationWebhook
{
    private const string WebhookName = "validation.istio.io";

    /// <summary>On once Istio's CRDs are installed, as a real Istio install brings istiod and its webhook.</summary>
    public bool Enabled { get; set; }

    /// <summary>Admits a create or update of the main resource; throws the denial, adds warnings to <paramref name="warnings"/>.</summary>
    public void Validate(ResourceType type, JsonObject obj, string? subresource, List<string> warnings)
    {
        if (!Enabled || subresource is not null)
        {
            return;
        }

        var findings = new IstioFindings();
        switch (type.Group, type.Kind)
        {
            case ("extensions.istio.io", "WasmPlugin"):
                WasmPluginRules.Validate(obj["spec"] as JsonObject ?? [], findings);
                break;
            case ("networking.istio.io", "EnvoyFilter"):
                EnvoyFilterRules.Validate(obj["spec"] as JsonObject ?? [], findings);
                break;
            default:
                return;
        }

        if (findings.Errors.Count > 0)
        {
            // kube-apiserver's webhook error (admission/plugin/webhook/errors.ToStatusErr): code 400 when the webhook
            // gave none, no reason, the webhook's message after "denied the request".
            throw new ApiException(400, "", $"admission webhook \"{WebhookName}\" denied the request: configuration is invalid: {findings.ErrorText()}");
        }

        warnings.AddRange(findings.Warnings);
    }
}
