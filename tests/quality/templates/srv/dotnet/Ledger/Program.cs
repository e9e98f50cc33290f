using System.Net.Http.Headers;
using System.Text;

var builder = WebApplication.CreateBuilder(args);
const string ApiKey = "⟦S generic-assignment alnum32⟧";
const string ClientSecret = "⟦S generic-assignment urlsafe43⟧";
const string PasswordQueryKey = "⟦N identifier =resetPasswordToken⟧";
var connectionString = "Server=sql.internal;Database=Audit;User Id=audit;Password=⟦S connection-string password⟧;";
var partnerKey = "⟦S uuid-key uuid⟧";

builder.Services.AddHttpClient("ledger", c =>
{
    c.BaseAddress = new Uri("https://ledger-api.internal/");
    c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "⟦S auth-header jwt⟧");
    c.DefaultRequestHeaders.Add("X-Trace-Id", "⟦N uuid-identifier uuid⟧");
});
builder.Services.AddHttpClient("legacy", c =>
{
    var raw = Convert.ToBase64String(Encoding.UTF8.GetBytes("legacy:⟦S auth-header password⟧"));
    c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", raw);
    c.DefaultRequestHeaders.Add("Authorization", "NTLM ⟦S auth-header b64-32⟧");
});

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { status = "ok", passwordHint = "⟦N natural-language =Das Passwort muss mindestens 12 Zeichen lang sein⟧" }));
app.Run();
