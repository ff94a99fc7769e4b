namespace Wasme.Testing.Kubernetes.Tests.Support;

/// <summary>Objects the tests create: a CRD with a schema, custom resources and a Deployment.</summary>
internal static class Manifests
{
    public const string WidgetCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.example.com
        spec:
          group: example.com
          names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
          scope: Namespaced
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}}
            additionalPrinterColumns:
            - {name: Size, type: integer, jsonPath: .spec.size}
            - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [size]
                    properties:
                      size: {type: integer, minimum: 1}
                      color: {type: string, enum: [red, blue], default: red}
                      tags: {type: object, additionalProperties: {type: string}}
                  status:
                    type: object
                    properties:
                      conditions:
                        type: array
                        items:
                          type: object
                          required: [type, status]
                          properties:
                            type: {type: string}
                            status: {type: string}
        """;

    public static string Widget(string name, int size, string labels = "{}") => $$"""
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: {{name}}, labels: {{labels}}}
        spec: {size: {{size}}}
        """;

    public const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: app, image: example.com/web:1, ports: [{containerPort: 8080}]}
              - {name: sidecar, image: example.com/sidecar:1}
        """;
}
