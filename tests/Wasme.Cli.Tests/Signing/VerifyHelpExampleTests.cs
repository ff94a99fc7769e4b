using System.Text.RegularExpressions;
using Wasme.Cli.Tests.Support;
using Wasme.Signing.Verification;

namespace Wasme.Cli.Tests.Signing;

/// <summary>The keyless example in <c>wasme verify --help</c> is copied as is: its pattern must accept what it describes.</summary>
public sealed partial class VerifyHelpExampleTests
{
    [Fact]
    public async Task The_keyless_example_accepts_a_release_workflow_of_the_organisation_it_names()
    {
        var cli = new CliRunner();

        Assert.Equal(0, await cli.RunAsync("verify", "--help"));

        var example = ExamplePattern().Match(cli.Out.Output);
        Assert.True(example.Success, cli.Out.Output);
        var identity = new KeylessIdentity { SubjectRegex = example.Groups["subject"].Value, Issuer = example.Groups["issuer"].Value };
        Assert.True(identity.Matches("https://token.actions.githubusercontent.com", ["https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main"]),
            $"the example's pattern /{identity.SubjectRegex}/ refuses a workflow of github.com/acme");
        Assert.False(identity.Matches("https://token.actions.githubusercontent.com", ["https://github.com/acme-evil/filters/.github/workflows/release.yml@refs/heads/main"]));
    }

    [GeneratedRegex(@"--certificate-identity-regexp '(?<subject>[^']+)' --certificate-oidc-issuer (?<issuer>\S+)")]
    private static partial Regex ExamplePattern();
}
