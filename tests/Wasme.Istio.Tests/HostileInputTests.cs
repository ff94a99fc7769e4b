using Wasme.Istio.Rendering;
using Wasme.Istio.Yaml;

namespace Wasme.Istio.Tests;

/// <summary>Files a user hands to <c>wasme render</c> that are not what they should be: a problem to report, never a crash.</summary>
public sealed class HostileInputTests
{
    [Theory]
    [InlineData("- a\n- b\n", "list")]
    [InlineData("hello\n", "string")]
    [InlineData("42\n", "number")]
    public void A_FilterDeployment_file_whose_document_is_not_a_mapping_is_a_problem(string yaml, string shape)
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll(yaml));

        Assert.Null(document.Deployment);
        var problem = Assert.Single(document.Problems);
        Assert.Contains($"is a {shape}", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("apiVersion: wasme.io/v1", problem.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("- a\n- b\n", "document 1 is a list")]
    [InlineData("kind: [Deployment]\n", "document 1: kind is a list")]
    [InlineData("apiVersion: v1\nkind: List\nitems: [5]\n", "document 1, item 1 is a number")]
    [InlineData("kind: Deployment\nmetadata: {name: 123}\n", "metadata.name is a number")]
    [InlineData("kind: Deployment\nmetadata: {name: a, namespace: [x]}\n", "metadata.namespace is a list")]
    [InlineData("kind: Deployment\nmetadata: [a]\n", "metadata is a list")]
    public void A_workloads_file_with_wrongly_typed_fields_is_a_format_error_naming_the_field(string yaml, string expected)
    {
        var error = Assert.Throws<YamlFormatException>(() => WorkloadReader.ReadAll(yaml));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Documents_of_other_kinds_in_a_workloads_file_are_still_ignored()
    {
        var workloads = WorkloadReader.ReadAll("""
            apiVersion: v1
            kind: Service
            metadata: {name: details}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: details-v1, namespace: bookinfo}
            spec: {template: {metadata: {labels: {app: details}}}}
            """);

        Assert.Equal("details-v1", Assert.Single(workloads).Workload.Name);
    }

    [Fact]
    public void A_selector_label_with_a_bad_key_and_a_bad_value_reports_both()
    {
        var document = Assert.Single(FilterDeploymentReader.ReadAll("""
            apiVersion: wasme.io/v1
            kind: FilterDeployment
            metadata: {name: f, namespace: bookinfo}
            spec:
              deployment: {istio: {labels: {"a/b/c": "x*"}}}
              filter: {image: webassemblyhub.io/ceposta/demo-add-header:v0.2}
            """));

        Assert.Equal(["not a valid label key", "not a valid label value"], document.Problems.Select(p => p.Reason));
    }
}
