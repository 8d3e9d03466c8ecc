package awsmodel

import (
	_ "embed" // for the embedded models
	"fmt"
	"sync"
)

// The embedded models are copied verbatim from botocore's
// data/<service>/<version>/service-2.json.gz.
var (
	//go:embed data/ecs-2014-11-13.json.gz
	ecsData []byte
	//go:embed data/elbv2-2015-12-01.json.gz
	elbv2Data []byte
	//go:embed data/cloudwatch-2010-08-01.json.gz
	cloudWatchData []byte
)

var (
	ecsModel   = sync.OnceValue(func() *Model { return mustParse("ecs", ecsData) })
	elbv2Model = sync.OnceValue(func() *Model { return mustParse("elbv2", elbv2Data) })
	cwModel    = sync.OnceValue(func() *Model { return mustParse("cloudwatch", cloudWatchData) })
)

// ECS returns the embedded Amazon ECS model (2014-11-13, protocol json
// 1.1). It is parsed on first use; later calls return the same *Model.
// It is safe for concurrent use. It panics if the embedded model is
// broken, which the package tests rule out.
func ECS() *Model { return ecsModel() }

// ELBv2 returns the embedded Elastic Load Balancing v2 model (2015-12-01,
// protocol query), parsed once like ECS.
func ELBv2() *Model { return elbv2Model() }

// CloudWatch returns the embedded Amazon CloudWatch model (2010-08-01),
// parsed once like ECS. Its first protocol is smithy-rpc-v2-cbor; it also
// speaks JSON 1.0 and, being awsQueryCompatible, the query protocol.
func CloudWatch() *Model { return cwModel() }

// mustParse parses an embedded model or panics.
func mustParse(service string, data []byte) *Model {
	m, err := Parse(data)
	if err != nil {
		panic(fmt.Sprintf("awsmodel: embedded %s model: %v", service, err))
	}
	return m
}
