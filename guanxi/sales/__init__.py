"""Sales (客户销售管理, DOMAIN §2): leads, pipelines and opportunities, activities, SPIN call plans,
call-quality metrics, targets and forecasts."""
