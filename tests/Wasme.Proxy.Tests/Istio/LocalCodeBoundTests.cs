using Wasme.Proxy.Istio;
using Wasme.ProxyWasm;

namespace Wasme.Proxy.Tests.Istio;

public sealed class LocalCodeBoundTests
{
    [Fact]
    public async Task A_local_filename_that_never_ends_is_refused_at_the_module_limit()
    {
        // /dev/zero reports length 0, so only a bounded read stops it.
        using var client = new HttpClient();
        var fetcher = new WasmCodeFetcher(client, new Dictionary<string, Uri>(), null, maxModuleBytes: 1024 * 1024);
        var filter = new WasmFilterDefinition("f", "", "", "", new LocalWasmCode("/dev/zero"), FailurePolicy.FailClosed, "zero.yaml: WasmPlugin ns/p");

        var error = await Assert.ThrowsAsync<WasmCodeFetchException>(() => fetcher.FetchAsync(filter, CancellationToken.None));

        Assert.Equal(WasmCodeFailure.Integrity, error.Failure);
        Assert.Equal("zero.yaml: WasmPlugin ns/p: /dev/zero holds more than the 1048576-byte module limit", error.Message);
    }
}
