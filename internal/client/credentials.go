package client

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// credentialsTimeout bounds the first retrieval of credentials, which
// may run a profile's credential_process.
const credentialsTimeout = 10 * time.Second

// LoadCredentials finds the credentials to sign requests with, and the
// region, the way the AWS SDKs do but without asking the EC2 instance
// metadata service (which would hang off EC2): the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_PROFILE, AWS_REGION...) and the shared config and credentials
// files. profile, when not empty, names the profile to use.
//
// With no profile named and no credentials found, it returns a nil
// provider and no error: the requests go unsigned (a server without
// access keys takes them, as anonymous). A profile that was named but
// yields no credentials is an error.
func LoadCredentials(ctx context.Context, profile string) (aws.CredentialsProvider, string, error) {
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, cfg.Region, nil
	}
	rctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(rctx)
	switch {
	case err != nil && profile != "":
		return nil, "", fmt.Errorf("get the credentials of profile %q: %w", profile, err)
	case err != nil || creds.AccessKeyID == "":
		return nil, cfg.Region, nil
	}
	return cfg.Credentials, cfg.Region, nil
}
