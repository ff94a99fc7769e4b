using Microsoft.AspNetCore.Http;
using Wasme.Oci.Errors;
using Wasme.Oci.Registry;
using Wasme.Oci.Registry.Auth;
using Wasme.Testing.Registry;

namespace Wasme.Oci.Tests.Registry;

/// <summary>Tag lists and catalogs from a registry that lies: a clear error or a sane list, never a crash or a thousand requests.</summary>
public sealed class HostileListingTests
{
    private static RegistryClient Client() => new(new RegistryClientOptions { MaxRetries = 0 }, AnonymousCredentialProvider.Instance);

    private static Func<HttpContext, Task> Answer(string body, string? link = null) => async context =>
    {
        if (link is not null)
        {
            context.Response.Headers.Link = link;
        }

        await context.Response.WriteAsync(body);
    };

    [Theory]
    [InlineData("<html>")]
    [InlineData("[]")]
    [InlineData("""{"name":"team/filter","tags":"v1"}""")]
    [InlineData("""{"name":"team/filter","tags":[1,2]}""")]
    public async Task A_tag_list_that_is_not_the_apis_json_is_an_integrity_error(string body)
    {
        await using var evil = await ScriptedRegistry.StartAsync(Answer(body));
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => client.ListTagsAsync(evil.Host, "team/filter"));

        Assert.Contains($"the tags of {evil.Host}/team/filter in a form the distribution API does not define", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catalog_that_is_not_the_apis_json_is_an_integrity_error()
    {
        await using var evil = await ScriptedRegistry.StartAsync(Answer("""{"repositories":[null, 5]}"""));
        using var client = Client();

        var error = await Assert.ThrowsAsync<OciIntegrityException>(() => client.ListRepositoriesAsync(evil.Host));

        Assert.Contains($"the repositories of {evil.Host}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_next_link_back_to_a_page_already_read_ends_the_listing()
    {
        await using var evil = await ScriptedRegistry.StartAsync(async context =>
        {
            var second = context.Request.Query["last"] == "v1";
            await Answer(
                second ? """{"tags":["v2", null, ""]}""" : """{"tags":["v1"]}""",
                second ? "</v2/team/filter/tags/list?n=1000>; rel=\"next\"" : "</v2/team/filter/tags/list?n=1000&last=v1>; rel=\"next\"")(context);
        });
        using var client = Client();

        var tags = await client.ListTagsAsync(evil.Host, "team/filter");

        Assert.Equal(["v1", "v2"], tags);
        Assert.Equal(2, evil.Requests.Count);
    }
}
