using Wasme.Signing.Verification;

namespace Wasme.Signing.Tests.Verification;

/// <summary>What a keyless policy accepts before any signature is looked at: identity patterns and the trusted root.</summary>
public sealed class VerificationPolicyTests
{
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private const string Subject = "https://github.com/acme/filters/.github/workflows/release.yml@refs/heads/main";

    [Theory]
    [InlineData(Subject + "\n", Issuer)]
    [InlineData(Subject, Issuer + "\n")]
    public void Identity_patterns_match_the_whole_value_so_a_trailing_newline_is_another_identity(string subject, string issuer)
    {
        var identity = new KeylessIdentity { SubjectRegex = @"https://github\.com/acme/.*", IssuerRegex = @"https://token\.actions\.githubusercontent\.com" };

        Assert.True(identity.Matches(Issuer, [Subject]));
        Assert.False(identity.Matches(issuer, [subject]));
    }
}
