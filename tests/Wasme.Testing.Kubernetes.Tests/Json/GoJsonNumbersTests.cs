using Wasme.Testing.Kubernetes.Json;

namespace Wasme.Testing.Kubernetes.Tests.Json;

public sealed class GoJsonNumbersTests
{
    // What Go's encoding/json writes for the float64 these decode to (strconv 'f', or 'e' outside [1e-6, 1e21)).
    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(1.5, "1.5")]
    [InlineData(1000.0, "1000")]
    [InlineData(-0.25, "-0.25")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(0.0000001, "1e-7")]
    [InlineData(1.5e-10, "1.5e-10")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1.2345e22, "1.2345e+22")]
    [InlineData(123456789012345678.0, "123456789012345680")]
    [InlineData(0.1, "0.1")]
    [InlineData(-0.0, "-0")]
    public void FormatFloat_WritesWhatGoWrites(double value, string expected) =>
        Assert.Equal(expected, GoJsonNumbers.FormatFloat(value));
}
