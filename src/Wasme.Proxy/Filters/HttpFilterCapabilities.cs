namespace Wasme.Proxy.Filters;

/// <summary>The stream events a filter handles. Events it does not handle are passed through without a call.</summary>
[Flags]
public enum HttpFilterCapabilities
{
    None = 0,
    RequestHeaders = 1,
    RequestBody = 2,
    RequestTrailers = 4,
    ResponseHeaders = 8,
    ResponseBody = 16,
    ResponseTrailers = 32,
    All = RequestHeaders | RequestBody | RequestTrailers | ResponseHeaders | ResponseBody | ResponseTrailers,
}
