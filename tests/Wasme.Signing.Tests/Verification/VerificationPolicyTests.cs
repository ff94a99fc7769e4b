using Wasme.Oci.Errors;
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

    [Theory]
    [InlineData(@"(?=https://github\.com/acme/).*")]
    [InlineData(@"(a)\1")]
    public void A_pattern_outside_RE2s_syntax_is_a_usage_error_naming_it(string pattern)
    {
        var identity = new KeylessIdentity { SubjectRegex = pattern, Issuer = Issuer };

        var error = Assert.Throws<OciUsageException>(identity.Validate);

        Assert.Contains(pattern, error.Message, StringComparison.Ordinal);
        Assert.Contains("RE2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "no certificates")]
    [InlineData("[{\"rawBytes\":\"AQID\"}]", "cannot be read")]
    public void A_trusted_root_whose_certificate_authority_cannot_be_read_is_refused_when_the_policy_is_read(string certificates, string problem)
    {
        var json = """
            {"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1",
             "tlogs":[{"baseUrl":"https://rekor.example","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"AQID"},"logId":{"keyId":"AQID"}}],
             "certificateAuthorities":[{"uri":"https://fulcio.example","certChain":{"certificates":
            """ + certificates + "}}]}";
        var policy = new VerificationPolicy
        {
            Identities = [new KeylessIdentity { Subject = Subject, Issuer = Issuer }],
            TrustedRoot = VerificationPolicy.ParseTrustedRoot(json, "trusted_root.json"),
        };

        var error = Assert.Throws<OciUsageException>(policy.Validate);

        Assert.Contains("https://fulcio.example", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trusted_root_listing_a_null_log_is_refused_when_the_policy_is_read()
    {
        const string json = """{"tlogs":[null],"certificateAuthorities":[null]}""";
        var policy = new VerificationPolicy
        {
            Identities = [new KeylessIdentity { Subject = Subject, Issuer = Issuer }],
            TrustedRoot = VerificationPolicy.ParseTrustedRoot(json, "trusted_root.json"),
        };

        var error = Assert.Throws<OciUsageException>(policy.Validate);

        Assert.Contains("null", error.Message, StringComparison.Ordinal);
    }
}
