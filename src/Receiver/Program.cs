using Receiver;
using Receiver.Audit;
using Receiver.Auth;
using Receiver.Configuration;
using Receiver.Feed;
using Receiver.Health;
using Receiver.Http;
using Receiver.Ingest;
using Receiver.OpenApi;
using Receiver.PersonalData;
using Receiver.Query;
using Receiver.Reconciliation;
using Receiver.Storage;
using Receiver.Telemetry;
using Receiver.Wallet;

var builder = WebApplication.CreateBuilder(args);

// Configuration: appsettings.json, environment, and AP's own variable names (CALLBACK_API_AUTH_TYPE, ...)
builder.Configuration.AddAnchorPlatformEnvironment();

// Services, one line per capability
builder.Services.AddHttpApi();
builder.Services.AddGracefulShutdown();
builder.Services.AddStorage();
builder.Services.AddCallbackAuth();
builder.Services.AddQueryAuth();
builder.Services.AddFailedAuthLimit();
builder.Services.AddPersonalData();
builder.Services.AddIngest();
builder.Services.AddQuery();
builder.Services.AddFeed();
builder.Services.AddReconciliation();
builder.Services.AddAudit();
builder.Services.AddWallet();
builder.Services.AddHealth();
builder.Services.AddReceiverOpenApi();
builder.AddTelemetry();

var app = builder.Build();

// Pipeline
app.UseExceptionHandler();
app.UseHsts();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseAudit();
app.UseReceiverOpenApi();

// Endpoints
app.MapIngest();
app.MapQuery();
app.MapFeed();
app.MapReconciliation();
app.MapAudit();
app.MapWallet();
app.MapHealth();
app.MapTelemetry();

return await app.RunReceiverAsync();
